"""The form layout page's form: reads the rows the page posts and draws them back.

The page posts, for every entry in its displayed order, ``fields=<name>`` and ``section-<name>``,
``visible-<name>``, ``required-<name>`` (check boxes), plus the layout's ``version``. The form
only reads them; ``form_layout_save`` checks them (unknown, twice, missing, not allowed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.core.forms import VersionedForm, posted_list
from piste.core.layouts import FormSpec, Layout, LayoutField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# More rows than any form has: a bigger post is not a page of ours.
MAX_ROWS = 300


@dataclass
class Row:
    """One entry on the page."""

    name: str
    label: str
    section: str
    visible: bool
    required: bool
    # Always shown and mandatory: both boxes ticked and locked.
    locked: bool
    may_require: bool
    errors: list[str] = field(default_factory=list)
    up: str = ""
    down: str = ""


@dataclass
class RowSection:
    id: str
    label: StrOrPromise
    rows: list[Row]


def _checked(data: Any, key: str) -> bool:
    return str(data.get(key) or "") not in ("", "0", "false", "off")


class FormLayoutForm(VersionedForm, forms.Form):
    """``entries`` (after ``is_valid``, or ``read()`` for a page drawn again without saving) are
    the posted entries in their new order; an entry moved to another section comes last in it."""

    version = forms.IntegerField(
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This page is out of date: reload it."),
            "invalid": _("This page is out of date: reload it."),
            "min_value": _("This page is out of date: reload it."),
        },
    )

    def __init__(self, data: Any = None, *, layout: Layout) -> None:
        super().__init__(data, initial={"version": layout.version})
        self.layout = layout
        self.spec: FormSpec = layout.spec
        self.entries: list[LayoutField] = []

    def read(self) -> list[LayoutField]:
        """The posted entries, in the posted order, a moved one last in its new section."""
        data = self.data
        names = [str(n)[:100] for n in posted_list(data, "fields")][: MAX_ROWS + 1]
        stayed: list[LayoutField] = []
        moved: list[LayoutField] = []
        for name in names:
            entry = LayoutField(
                name=name,
                section=str(data.get(f"section-{name}") or "")[:100],
                visible=_checked(data, f"visible-{name}"),
                required=_checked(data, f"required-{name}"),
            )
            before = self.layout.get(name)
            if before is not None and entry.section != before.section:
                moved.append(entry)
            else:
                stayed.append(entry)
        self.entries = stayed + moved
        return self.entries

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        entries = self.read()
        if len(entries) > MAX_ROWS:
            raise forms.ValidationError(
                _("This is not the layout of this form: reload the page."), code="too_many"
            )
        return cleaned


def moved(spec: FormSpec, entries: Sequence[LayoutField], move: str) -> list[LayoutField]:
    """``entries`` with the one named in ``move`` ("<name>:up" or "<name>:down") swapped with its
    neighbour in the same section (the page's arrow buttons, for keyboards and without
    JavaScript); unchanged when it cannot move."""
    name, _sep, direction = move.partition(":")
    ordered = _display_order(spec, entries)
    index = next((i for i, e in enumerate(ordered) if e.name == name), None)
    if index is None or direction not in ("up", "down"):
        return ordered
    step = -1 if direction == "up" else 1
    other = index + step
    if 0 <= other < len(ordered) and ordered[other].section == ordered[index].section:
        ordered[index], ordered[other] = ordered[other], ordered[index]
    return ordered


def _display_order(spec: FormSpec, entries: Sequence[LayoutField]) -> list[LayoutField]:
    """Known entries, once each, in a known section (else their default one), section by
    section."""
    known = set(spec.field_names)
    seen: set[str] = set()
    shown: list[LayoutField] = []
    for entry in entries:
        if entry.name not in known or entry.name in seen:
            continue
        seen.add(entry.name)
        if spec.section(entry.section) is None:
            entry = LayoutField(
                entry.name, spec.default_section(entry.name).id, entry.visible, entry.required
            )
        shown.append(entry)
    rank = {s.id: i for i, s in enumerate(spec.sections)}
    return sorted(shown, key=lambda e: rank[e.section])


def layout_rows(
    layout: Layout,
    entries: Sequence[LayoutField] | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
) -> list[RowSection]:
    """The page's tables: ``entries`` as posted (or the layout's own), with the layout's entries
    the post lacked back at their place, and each entry's ``errors`` under it."""
    spec = layout.spec
    shown = _display_order(spec, entries if entries is not None else layout.fields)
    names = {e.name for e in shown}
    for entry in layout.fields:
        if entry.name not in names:
            shown.append(entry)
    shown = _display_order(spec, shown)
    sections = []
    for section in spec.sections:
        in_section = [e for e in shown if e.section == section.id]
        rows = []
        for i, entry in enumerate(in_section):
            rows.append(
                Row(
                    name=entry.name,
                    label=spec.label_of(entry.name),
                    section=entry.section,
                    visible=entry.visible or entry.name in spec.always_required,
                    required=entry.required or entry.name in spec.always_required,
                    locked=entry.name in spec.always_required,
                    may_require=spec.may_require(entry.name),
                    errors=list((errors or {}).get(entry.name, [])),
                    up=f"{entry.name}:up" if i > 0 else "",
                    down=f"{entry.name}:down" if i < len(in_section) - 1 else "",
                )
            )
        sections.append(RowSection(section.id, section.label, rows))
    return sections
