"""Turning a cell's text into a field's value: booleans, numbers, dates, choices, and records
named by their name (a source, a sector) or users by username or email.

Each converter raises ``ValidationError`` with a message for the user; lookups are read once per
import and kept (``Lookups``), so converting a row costs no query."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from piste.core.text import fold

TRUE = {"1", "x", "oui", "o", "yes", "y", "true", "vrai", "v"}
FALSE = {"", "0", "non", "n", "no", "false", "faux", "f", "-"}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
DATETIME_FORMATS = tuple(f"{d} {t}" for d in DATE_FORMATS for t in ("%H:%M", "%H:%M:%S"))


def to_bool(text: str) -> bool:
    key = fold(text)
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": text})


def to_int(text: str) -> int | None:
    if not text:
        return None
    try:
        return int(Decimal(text.replace("\u202f", "").replace(" ", "").replace(",", ".")))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from exc


def to_decimal(text: str) -> Decimal | None:
    if not text:
        return None
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "")  # 1.234,50 (French thousands)
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from exc
    if not value.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text})
    return value


def to_date(text: str) -> date | None:
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text[:10] if fmt == "%Y-%m-%d" else text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("“%(value)s” is not a date (dd/mm/yyyy).") % {"value": text})


def to_datetime(text: str) -> datetime | None:
    if not text:
        return None
    for fmt in (*DATETIME_FORMATS, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(text, fmt))
        except ValueError:
            continue
    day = to_date(text)
    assert day is not None
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


class Lookups:
    """Names of a company's referential entries and its users, read once per import."""

    def __init__(self, company_id: int, user: Any = None) -> None:
        self.company_id = company_id
        # The importing user: records a row names (a contact's partner) must be visible to them.
        self.actor_user = user
        self.cache: dict[Any, Any] = {}
        self._named: dict[type[models.Model], dict[str, models.Model]] = {}
        self._users: dict[str, Any] | None = None

    def named(self, model: type[models.Model], text: str) -> models.Model | None:
        if not text:
            return None
        if model not in self._named:
            rows = model._default_manager.filter(company_id=self.company_id)
            self._named[model] = {getattr(r, "name_key", fold(str(r))): r for r in rows}
        found = self._named[model].get(fold(text))
        if found is None:
            raise ValidationError(
                _("No %(kind)s is named “%(value)s”.")
                % {"kind": model._meta.verbose_name, "value": text}
            )
        return found

    def user(self, text: str) -> Any:
        if not text:
            return None
        if self._users is None:
            from piste.users.models import User

            self._users = {}
            members = User.objects.filter(
                memberships__company_id=self.company_id, memberships__is_active=True
            )
            for user in members:
                self._users[user.username.lower()] = user
                if user.email:
                    self._users.setdefault(user.email.lower(), user)
        found = self._users.get(text.strip().lower())
        if found is None:
            raise ValidationError(
                _("No user of this company has the username or email “%(value)s”.")
                % {"value": text}
            )
        return found


def choice_value(field: models.Field, text: str) -> Any:
    """The stored value of a choice typed as its value or its label (English or French)."""
    if not text:
        return None if field.null else field.get_default()
    key = fold(text)
    for value, label in field.flatchoices:
        if fold(str(value)) == key or fold(str(label)) == key:
            return value
        with translation.override("fr"):
            if fold(str(label)) == key:
                return value
    raise ValidationError(_("“%(value)s” is not one of the choices.") % {"value": text})
