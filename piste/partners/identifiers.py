"""French company identifiers and EU VAT numbers: pure checks, normalisation and form cleaners.

- SIREN: 9 digits, Luhn checksum.
- SIRET: 14 digits (SIREN + 5-digit NIC), Luhn over the 14 digits; La Poste's establishments
  (SIREN 356000000) are numbered with another rule: their digit sum is a multiple of 5.
- VAT: any EU number through python-stdnum (``stdnum.eu.vat``); the French one derives from
  the SIREN (``vat_from_siren``).
- APE (NAF) code: "62.01Z" (NAF rev. 2 and NAF 2025), "72.2A" (older NAF rev. 1).

The ``*_clean`` functions serve forms, services and imports alike: "" stays "", anything else
comes back normalised or raises ``ValidationError`` with a message the user can act on.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError

# What people type between digit groups: spaces (also no-break ones), dots, hyphens.
_SEPARATORS = re.compile(r"[\s.\-]+")
_SIREN = re.compile(r"[0-9]{9}")
_SIRET = re.compile(r"[0-9]{14}")
# NAF rev. 2 and NAF 2025 ("62.01Z"), NAF rev. 1 ("72.2A"); the dot may be left out.
_APE = re.compile(r"([0-9]{2})\.?([0-9]{1,2})([A-Z])")
LA_POSTE_SIREN = "356000000"
# Longer input is not an identifier anyway: never run the checks on a pasted page.
MAX_INPUT = 60

MESSAGES = {
    "siren_format": _("Enter the 9 digits of a SIREN."),
    "siren_checksum": _("This SIREN's check digit is wrong."),
    "siret_format": _("Enter the 14 digits of a SIRET."),
    "siret_checksum": _("This SIRET's check digit is wrong."),
    "siret_siren": _("This SIRET does not belong to the SIREN above."),
    "vat_country": _(
        "Enter an intra-EU VAT number starting with its country code, like FR03552081317."
    ),
    "vat_format": _("This VAT number does not have the format of its country."),
    "vat_checksum": _("This VAT number's check digits are wrong."),
    "ape_format": _("Enter an APE code like 62.01Z."),
    "number_format": _("Enter a SIRET (14 digits) or a SIREN (9 digits)."),
}


# -- normalisation ------------------------------------------------------------------------------


def _compact(value: str | None) -> str:
    return _SEPARATORS.sub("", (value or "")[: MAX_INPUT * 2]).upper()


def normalise_siren(value: str | None) -> str:
    """Without spaces, dots or hyphens: "552 081 317" -> "552081317" (no check)."""
    return _compact(value)


def normalise_siret(value: str | None) -> str:
    """Without spaces, dots or hyphens: "552 081 317 00012" -> "55208131700012" (no check)."""
    return _compact(value)


def normalise_vat(value: str | None) -> str:
    """Upper-case, without spaces, dots or hyphens: "fr 03 552.081.317" -> "FR03552081317"."""
    return _compact(value)


# -- checks -------------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum: from the right, every second digit doubled (minus 9 past 9)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def siren_valid(value: str | None) -> bool:
    siren = normalise_siren(value)
    return bool(_SIREN.fullmatch(siren)) and luhn_valid(siren)


def siret_valid(value: str | None) -> bool:
    siret = normalise_siret(value)
    if not _SIRET.fullmatch(siret):
        return False
    if luhn_valid(siret):
        return True
    # La Poste numbers its establishments outside the Luhn rule (its head office 35600000000048
    # is plain Luhn): a digit sum that is a multiple of 5 is valid.
    return siret.startswith(LA_POSTE_SIREN) and sum(ord(c) - 48 for c in siret) % 5 == 0


def vat_valid(value: str | None) -> bool:
    return eu_vat.is_valid(normalise_vat(value))


def vat_from_siren(siren: str) -> str:
    """The French VAT number of a SIREN: "FR" + key + SIREN, key = (12 + 3 * (SIREN mod 97))
    mod 97 on two digits. ``ValueError`` for an invalid SIREN."""
    siren = normalise_siren(siren)
    if not siren_valid(siren):
        raise ValueError(f"invalid SIREN {siren!r}")
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def siren_of_siret(siret: str) -> str:
    return normalise_siret(siret)[:9]


# -- form cleaners (raise ValidationError) ------------------------------------------------------


def _error(key: str) -> ValidationError:
    return ValidationError(MESSAGES[key], code=key)


def siren_clean(value: str | None) -> str:
    """A valid SIREN, normalised, or "" for an empty value."""
    siren = normalise_siren(value)
    if not siren:
        return ""
    if not _SIREN.fullmatch(siren):
        raise _error("siren_format")
    if not luhn_valid(siren):
        raise _error("siren_checksum")
    return siren


def siret_clean(value: str | None) -> str:
    """A valid SIRET, normalised, or "" for an empty value."""
    siret = normalise_siret(value)
    if not siret:
        return ""
    if not _SIRET.fullmatch(siret):
        raise _error("siret_format")
    if not siret_valid(siret):
        raise _error("siret_checksum")
    return siret


def vat_clean(value: str | None) -> str:
    """A valid EU VAT number, normalised ("FR03552081317"), or "" for an empty value."""
    number = normalise_vat(value)
    if not number:
        return ""
    if len(number) > MAX_INPUT or not number[:2].isalpha() or not number[:2].isascii():
        raise _error("vat_country")
    try:
        return str(eu_vat.validate(number))
    except InvalidComponent as exc:  # a country code outside the EU
        raise _error("vat_country") from exc
    except InvalidChecksum as exc:
        raise _error("vat_checksum") from exc
    except StdnumError as exc:  # wrong length or characters for the country
        raise _error("vat_format") from exc


def ape_clean(value: str | None) -> str:
    """An APE code in INSEE's form ("6201z" -> "62.01Z"), or "" for an empty value."""
    code = re.sub(r"\s+", "", (value or "")[:MAX_INPUT]).upper()
    if not code:
        return ""
    match = _APE.fullmatch(code)
    if match is None:
        raise _error("ape_format")
    return f"{match[1]}.{match[2]}{match[3]}"


def siret_siren_check(siren: str, siret: str) -> None:
    """Both given (and clean): the SIRET must start with the SIREN."""
    if siren and siret and siret[:9] != siren:
        raise _error("siret_siren")


def lookup_number_clean(value: str | None) -> str:
    """What the SIRENE lookup takes: a valid SIRET or SIREN, normalised."""
    number = normalise_siret(value)
    if len(number) == 14:
        return siret_clean(number)
    if len(number) == 9:
        return siren_clean(number)
    raise _error("number_format")


# -- Django validators (for model or form fields) -----------------------------------------------


def validate_siren(value: str) -> None:
    siren_clean(value)


def validate_siret(value: str) -> None:
    siret_clean(value)


def validate_vat(value: str) -> None:
    vat_clean(value)


def validate_ape(value: str) -> None:
    ape_clean(value)
