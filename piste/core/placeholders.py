"""Placeholders in text an administrator writes (email templates, print templates).

Templates use Django's template language over a **safe context**: plain strings, numbers and
dates built from a record's fields, never model instances (a template could otherwise call a
method or walk to other companies' rows). The engine has no loaders and no tag libraries
beyond the built-in ones, so ``{% include %}`` and ``{% load %}`` fail with a clear message.

Documented keys (shown on the template forms): ``record_placeholders(kind)``.

- ``record.<field>``: each field of the record, as displayed (choices by their label, linked
  records by their name, dates as dates); ``record.address`` the address on several lines;
  ``record.url`` the record's address in Piste;
- ``user.full_name``, ``user.email``: who sends or prints;
- ``company.name``: the company worked in; ``today``: the date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.records import kind_of, record_kind

# Columns kept for the machine (keys, counters, merge links, files) are not placeholders.
_HIDDEN = {
    "id",
    "company",
    "version",
    "name_key",
    "alt_key",
    "enterprise_key",
    "city_key",
    "search_key",
    "email_key",
    "email_domain",
    "merged_into",
    "merged_at",
    "logo",
    "partner_closed",
}
# Derived columns worth printing although no form edits them.
_SHOWN_DERIVED = {"full_name", "city_name", "main_phone", "number"}
# Related rows shown as a block of lines rather than their one-line name.
_ADDRESS_FIELDS = {"address", "main_address", "invoicing_address", "delivery_address"}


@cache
def _engine() -> Engine:
    # debug=True: syntax errors carry the line they are on (shown to the administrator).
    return Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, debug=True, autoescape=True)


class PlaceholderError(ValueError):
    """A template that cannot be read or rendered; ``str()`` is the message for the user."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        # Worded when shown, in the reader's language: a template is often rendered in its own
        # language (a French report printed by an English-speaking user).
        if self.line:
            return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


def _compile(source: str) -> Any:
    try:
        return _engine().from_string(source)
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None) or {}
        raise PlaceholderError(str(exc.args[0] if exc.args else exc), info.get("line")) from exc
    except TemplateDoesNotExist as exc:
        raise PlaceholderError(_("A template cannot include or extend another file.")) from exc
    except Exception as exc:  # any other reading failure
        raise PlaceholderError(str(exc)) from exc


def check_placeholders(source: str) -> None:
    """Raise PlaceholderError if the template cannot be read (forms call it on save)."""
    _compile(source)


def render_placeholders(source: str, context: dict[str, Any], *, autoescape: bool = True) -> str:
    """The template filled with the safe context; PlaceholderError naming the line if it fails.
    ``autoescape=False`` for plain-text output (email subjects)."""
    template = _compile(source)
    try:
        return str(template.render(Context(context, autoescape=autoescape)))
    except Exception as exc:  # a filter fed a wrong value, a recursion: never a 500
        info = getattr(exc, "template_debug", None) or {}
        raise PlaceholderError(str(exc), info.get("line")) from exc


def _display(record: models.Model, field: models.Field[Any, Any]) -> Any:
    if field.choices:
        value = getattr(record, field.attname)
        return str(dict(field.flatchoices).get(value, value or ""))
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        related = getattr(record, field.name)
        if related is None:
            return ""
        if field.name in _ADDRESS_FIELDS and hasattr(related, "lines"):
            return "\n".join(str(line) for line in related.lines)
        return str(related)
    value = getattr(record, field.attname)
    if isinstance(value, datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, bool | int | float | Decimal | date | str) or value is None:
        return "" if value is None else value
    return str(value)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in _HIDDEN and (f.editable or f.name in _SHOWN_DERIVED)
    ]


def record_values(record: models.Model) -> dict[str, Any]:
    """The record's fields as the placeholders show them (plain values only)."""
    from piste.core.records import record_url

    values = {f.name: _display(record, f) for f in _fields(type(record))}
    values["name"] = values.get("name") or str(record)
    values["url"] = record_url(record)
    return values


def record_context(record: models.Model, *, user: Any, company: Any) -> dict[str, Any]:
    """The whole safe context for one record, its kind's own key too (``lead.first_name``)."""
    values = record_values(record)
    return {
        "record": values,
        kind_of(record).slug: values,
        "user": {
            "full_name": (user.get_full_name() or user.get_username()) if user else "",
            "email": getattr(user, "email", "") or "",
        },
        "company": {"name": str(company) if company else ""},
        "today": timezone.localdate(),
    }


@dataclass(frozen=True)
class Placeholder:
    key: str
    label: str


def record_placeholders(slug: str) -> list[Placeholder]:
    """The documented placeholders of a kind, for the template forms' help."""
    model = record_kind(slug).model
    rows = [Placeholder(f"record.{f.name}", str(f.verbose_name)) for f in _fields(model)]
    rows += [
        Placeholder("record.url", _("address of the record in Piste")),
        Placeholder("user.full_name", _("your name")),
        Placeholder("user.email", _("your email")),
        Placeholder("company.name", _("company name")),
        Placeholder("today", _("today's date")),
    ]
    return rows
