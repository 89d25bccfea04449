"""Printing a record: which templates a record may be printed with (the company's and the
built-in ones), filling one with the record's safe context, and the PDF's file name.

Templates are written by administrators in Django's template language, rendered by
``piste.core.placeholders`` (no model instance, no loader, no tag library reaches them). The
PDF itself is made by ``piste.documents.pdf`` (WeasyPrint, imported only when printing).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from piste.core.placeholders import record_context, render_placeholders
from piste.core.records import kind_of
from piste.documents.models import PrintKind, PrintLanguage, PrintTemplate

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
BUILTIN_PREFIX = "builtin-"
# The built-in templates: (record kind, file stem, name).
_BUILTINS = {
    PrintKind.LEAD: ("lead_report", _("Lead report")),
    PrintKind.PARTNER: ("partner_sheet", _("Account sheet")),
    PrintKind.CONTACT: ("contact_sheet", _("Contact sheet")),
    PrintKind.OPPORTUNITY: ("opportunity_sheet", _("Opportunity sheet")),
}


@dataclass(frozen=True)
class PrintChoice:
    """One template the print dialog offers: a company's (``template`` set) or a built-in."""

    key: str  # the dialog's value: the template's id, or "builtin-<kind>-<language>"
    name: str
    kind: str
    language: str
    html: str
    css: str
    is_default: bool = False
    template: PrintTemplate | None = None

    @property
    def label(self) -> str:
        language = dict(PrintLanguage.choices).get(self.language, self.language)
        return f"{self.name} ({language})"


@cache
def _read(name: str) -> str:
    return (DEFAULTS_DIR / name).read_text(encoding="utf-8")


def builtin_choices(kind: str) -> list[PrintChoice]:
    """The built-in templates of a record kind, one per language (none for other kinds)."""
    if kind not in _BUILTINS:
        return []
    stem, name = _BUILTINS[PrintKind(kind)]
    return [
        PrintChoice(
            key=f"{BUILTIN_PREFIX}{kind}-{language}",
            name=str(name),
            kind=kind,
            language=language,
            html=_read(f"{stem}.{language}.html"),
            css=_read("sheet.css"),
        )
        for language in PrintLanguage.values
    ]


def template_choice(template: PrintTemplate) -> PrintChoice:
    return PrintChoice(
        key=str(template.pk),
        name=template.name,
        kind=template.kind,
        language=template.language,
        html=template.html,
        css=template.css,
        is_default=template.is_default,
        template=template,
    )


def print_choices(company_id: int, kind: str) -> list[PrintChoice]:
    """What the print dialog offers for a kind: the company's active templates, then the
    built-in ones (always there, even when the company wrote none). Queries: 1."""
    rows = PrintTemplate.objects.filter(company_id=company_id, kind=kind, is_active=True)
    return [template_choice(t) for t in rows.order_by("name", "id")] + builtin_choices(kind)


def preselected(choices: list[PrintChoice], language: str) -> str:
    """The company's default template of the kind, else the built-in in the user's language."""
    for choice in choices:
        if choice.is_default:
            return choice.key
    for choice in choices:
        if choice.template is None and choice.language == language:
            return choice.key
    return choices[0].key if choices else ""


def render_html(choice: PrintChoice, record: models.Model, *, user: Any, company: Any) -> str:
    """The template filled with the record's safe context, in the template's language (dates,
    choice labels); PlaceholderError naming the line when it cannot be read or rendered."""
    with translation.override(choice.language):
        context = record_context(record, user=user, company=company)
        return render_placeholders(choice.html, context)


_UNSAFE = set('/\\:*?"<>|')


def print_file_name(record: models.Model, *, language: str) -> str:
    """« Lead Dupont Jean-Boulangerie-2026-11-24.pdf » for a lead (as the reference names its
    report), « <Kind> <record>-<date>.pdf » for the others; no folder, control or reserved
    character."""
    kind = kind_of(record)
    today = timezone.localdate().isoformat()
    with translation.override(language):
        label = str(kind.label).capitalize()
    if kind.slug == "lead":
        person = " ".join(
            part
            for part in (getattr(record, "last_name", ""), getattr(record, "first_name", ""))
            if part
        )
        parts = [f"{label} {person}".strip(), getattr(record, "enterprise_name", ""), today]
    else:
        parts = [f"{label} {record}".strip(), today]
    name = "-".join(part for part in parts if part)
    cleaned = "".join(" " if c in _UNSAFE or not c.isprintable() else c for c in name)
    return " ".join(cleaned.split())[:140].strip(" .") + ".pdf"
