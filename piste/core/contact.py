"""Phones, emails and websites as records store them: validated, normalised, shown nicely.

Phones are stored in E.164 ("+33612345678") so that duplicates, searches and ``tel:`` links agree
whatever the user typed ("06 12 34 56 78", "+33 (0)6…"); they are shown in the national format
of their country ("06 12 34 56 78") and in the international format for other countries.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

DEFAULT_REGION = "FR"
MAX_PHONE_INPUT = 40

# A French number as people type it most ("01 23 45 67 89", "01.23.45.67.89", "+33 1 23…"):
# read without the general parser, which costs most of an imported row's time. The number built
# is the one ``phonenumbers.parse`` builds (a test compares them over many numbers), and its
# validity is still phonenumbers' own.
_FRENCH_TYPED = re.compile(r"(?:0|\+33 ?)([1-9](?:[ .-]?\d\d){4})")
_FRENCH_E164 = re.compile(r"\+33[1-9]\d{8}")
_SEPARATORS = str.maketrans("", "", " .-")


def phone_normalise(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a typed phone number ("" for nothing typed); ValidationError otherwise."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    if len(text) > MAX_PHONE_INPUT:
        raise ValidationError(_("This phone number is too long."), code="phone")
    french = _FRENCH_TYPED.fullmatch(text) if region == "FR" else None
    if french is not None:
        significant = int(french.group(1).translate(_SEPARATORS))
        number = phonenumbers.PhoneNumber(country_code=33, national_number=significant)
    else:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException as exc:
            raise ValidationError(_("Enter a valid phone number."), code="phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number.") % {"value": text}, code="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def phone_display(e164: str | None, region: str = DEFAULT_REGION) -> str:
    """A stored number as people read it: national format at home, international otherwise.
    Remembered: a list page shows 25 numbers, and parsing one costs 40 µs."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_digits(e164: str | None, region: str = DEFAULT_REGION) -> str:
    """The digit strings a search may be typed as: "33612345678 0612345678"."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    if _FRENCH_E164.fullmatch(e164):
        # Every valid French number's national form is its trunk 0 and significant digits
        # ("01 23 45 67 89"): the test compares this with phonenumbers' formatting.
        return f"{digits} 0{digits[2:]}"
    try:
        national = phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL
        )
    except phonenumbers.NumberParseException:
        return digits
    national_digits = "".join(ch for ch in national if ch.isdigit())
    return f"{digits} {national_digits}" if national_digits != digits else digits


def email_normalise(raw: str | None) -> str:
    """A validated email address with its domain in lower case ("" for nothing typed)."""
    text = (raw or "").strip()
    if not text:
        return ""
    if len(text) > 254:
        raise ValidationError(_("This email address is too long."), code="email")
    EmailValidator(message=_("Enter a valid email address."))(text)
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_key(email: str | None) -> tuple[str, str]:
    """The lower-case address and its domain, as duplicate checks compare them:
    "Jean.Dupont@Acme.fr" -> ("jean.dupont@acme.fr", "acme.fr"); ("", "") for no address."""
    key = (email or "").strip().lower()[:254]
    return key, key.rpartition("@")[2][:200] if "@" in key else ""


def website_normalise(raw: str | None) -> str:
    """A website as a full URL: "www.Exemple.fr" -> "https://www.exemple.fr" ("" for nothing)."""
    text = (raw or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = f"https://{text}"
    if len(text) > 300:
        raise ValidationError(_("This website address is too long."), code="website")
    URLValidator(schemes=["http", "https"], message=_("Enter a valid website address."))(text)
    parts = urlsplit(text)
    path = parts.path if parts.path not in ("", "/") or parts.query else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def normalise_contact_details(
    values: dict[str, Any], errors: dict[str, Any], *, names: tuple[str, ...] = ()
) -> None:
    """In place: the phones, email and website of ``values`` normalised (their messages into
    ``errors``), and the ``names`` single-spaced. Fields absent from ``values`` are left out."""
    for name, normalise in (
        ("fixed_phone", phone_normalise),
        ("mobile_phone", phone_normalise),
        ("email", email_normalise),
        ("website", website_normalise),
    ):
        if name in values:
            try:
                values[name] = normalise(values[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    for name in names:
        if name in values:
            values[name] = " ".join(str(values[name] or "").split())
