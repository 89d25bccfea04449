"""Form layouts: which fields the record forms (lead, partner, contact) show, in which sections and
order, and which are mandatory, chosen per company by an administrator.

Each app registers the forms it lets an administrator arrange (``register(FormSpec(...))`` in its
``layouts.py``, imported from its ``AppConfig.ready``). A company's choices are one
``FormLayout`` row per form (``piste.core.models_layouts``); without a row the form keeps the
spec's default layout. A view applies the layout to its Django form::

    layout = layout_apply(form, layout_for(actor.company.pk, "lead"))

which removes the hidden fields from the form (so a save neither shows nor changes them: the
record keeps its values) and makes the mandatory ones required; the page then renders
``layout.columns`` with the ``form_sections`` tag (``piste/core/templatetags/piste.py``).

Entries of a layout are the form's fields plus "blocks": parts of the page that are not one field
of the form (the address block, a second form of its own) and are shown, hidden or moved as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.forms.boundfield import BoundField
    from django_stubs_ext import StrOrPromise

# The hidden input that tells which layout entries the posted page showed (see layout_apply).
POSTED_FIELD = "form_layout"


@dataclass(frozen=True)
class Section:
    """A titled part of a form. ``column`` places it on the page ("main" or "side" on the lead
    form); ``footer``: the page adds its own markup at the end of the section (partial
    ``section_<id>_footer``)."""

    id: str
    label: StrOrPromise
    fields: tuple[str, ...]
    column: str = "main"
    footer: bool = False


@dataclass(frozen=True)
class FormSpec:
    """A form an administrator may arrange.

    - ``sections``: in page order, each with its default fields in order; every entry of the
      form is in exactly one section.
    - ``always_required``: always shown and always mandatory (the form cannot save without them).
    - ``never_required``: may never be made mandatory (check boxes, files, blocks).
    - ``blocks``: entries that are not fields of the Django form (the page draws them).
    - ``custom``: entries whose markup the page gives itself (a partial ``field_<name>`` of the
      page's template), such as a field with a "+" button. Blocks are always custom.
    - ``companions``: form fields that come and go with an entry (the logo's "Remove" box).
    - ``widths``: the grid class of an entry in its default section ("col-sm-6"); elsewhere it
      takes the whole width.
    - ``labels``: names shown on the configuration page, where the model's verbose name is not
      the right one (or the entry is no model field).
    """

    name: str
    label: StrOrPromise
    sections: tuple[Section, ...]
    model: type[models.Model] | None = None
    always_required: frozenset[str] = frozenset()
    never_required: frozenset[str] = frozenset()
    blocks: frozenset[str] = frozenset()
    custom: frozenset[str] = frozenset()
    companions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    widths: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, StrOrPromise] = field(default_factory=dict)
    help_text: StrOrPromise = ""

    def __post_init__(self) -> None:
        names = self.field_names
        sections = [s.id for s in self.sections]
        # Mistakes in a spec are a programmer's: fail at start-up, not on a page.
        if len(set(names)) != len(names):
            raise ValueError(f"Form layout {self.name!r}: a field is listed twice.")
        if len(set(sections)) != len(sections):
            raise ValueError(f"Form layout {self.name!r}: a section is listed twice.")
        unknown = (self.always_required | self.never_required | self.blocks | self.custom) - set(
            names
        )
        if unknown:
            raise ValueError(f"Form layout {self.name!r}: unknown fields {sorted(unknown)}.")
        if self.always_required & (self.never_required | self.blocks):
            raise ValueError(
                f"Form layout {self.name!r}: a field is both always and never required."
            )

    @property
    def field_names(self) -> list[str]:
        return [name for section in self.sections for name in section.fields]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def default_section(self, name: str) -> Section:
        return next(s for s in self.sections if name in s.fields)

    def label_of(self, name: str) -> str:
        if name in self.labels:
            return capfirst(str(self.labels[name]))
        if self.model is not None:
            try:
                model_field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                pass
            else:
                verbose_name = getattr(model_field, "verbose_name", None)
                if verbose_name:
                    return capfirst(str(verbose_name))
        return capfirst(name.replace("_", " "))

    def may_require(self, name: str) -> bool:
        return name not in self.never_required and name not in self.blocks

    def is_custom(self, name: str) -> bool:
        return name in self.custom or name in self.blocks


REGISTRY: dict[str, FormSpec] = {}


def register(spec: FormSpec) -> FormSpec:
    REGISTRY[spec.name] = spec
    return spec


def spec_get(form_name: str) -> FormSpec | None:
    return REGISTRY.get(form_name)


def specs() -> list[FormSpec]:
    return sorted(REGISTRY.values(), key=lambda s: str(s.label))


@dataclass(frozen=True)
class LayoutField:
    """One entry of a layout: where it sits, whether it shows, whether it is mandatory."""

    name: str
    section: str
    visible: bool = True
    required: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "section": self.section,
            "visible": self.visible,
            "required": self.required,
        }


@dataclass(frozen=True)
class Layout:
    """A company's layout of one form. ``fields``: every entry of the spec, section by section in
    the spec's section order, each section's entries in their chosen order. ``version``: 0 while
    the company has never saved this form's layout."""

    spec: FormSpec
    fields: tuple[LayoutField, ...]
    version: int = 0
    is_default: bool = True

    def get(self, name: str) -> LayoutField | None:
        return next((f for f in self.fields if f.name == name), None)

    def shows(self, name: str) -> bool:
        entry = self.get(name)
        return entry is not None and entry.visible

    def sections(self) -> list[tuple[Section, list[LayoutField]]]:
        return [
            (section, [f for f in self.fields if f.section == section.id])
            for section in self.spec.sections
        ]


def _in_section_order(spec: FormSpec, entries: Iterable[LayoutField]) -> tuple[LayoutField, ...]:
    rank = {s.id: i for i, s in enumerate(spec.sections)}
    # sorted() is stable: within a section, the entries keep their order.
    return tuple(sorted(entries, key=lambda f: rank[f.section]))


def _enforced(spec: FormSpec, entry: LayoutField) -> LayoutField:
    """The entry as the spec allows it: always-required ones shown and mandatory, the others
    mandatory only when shown and allowed."""
    if entry.name in spec.always_required:
        return LayoutField(entry.name, entry.section, visible=True, required=True)
    required = entry.required and entry.visible and spec.may_require(entry.name)
    return LayoutField(entry.name, entry.section, visible=entry.visible, required=required)


def default_layout(spec: FormSpec) -> Layout:
    return Layout(
        spec=spec,
        fields=tuple(
            _enforced(spec, LayoutField(name, section.id))
            for section in spec.sections
            for name in section.fields
        ),
    )


def layout_from_stored(spec: FormSpec, stored: Any, version: int) -> Layout:
    """The layout from a ``FormLayout.fields`` value, whatever the code became since it was
    saved: unknown or duplicate names are ignored, an entry of a removed section goes back to its
    default section, and a field the spec gained since takes its default place (after the field
    it follows by default), so a code change never hides a field."""
    entries: list[LayoutField] = []
    seen: set[str] = set()
    names = set(spec.field_names)
    for raw in stored if isinstance(stored, list) else []:
        if not isinstance(raw, dict):
            continue
        name = raw.get("name")
        if not isinstance(name, str) or name not in names or name in seen:
            continue
        seen.add(name)
        section = raw.get("section")
        if not isinstance(section, str) or spec.section(section) is None:
            section = spec.default_section(name).id
        entry = LayoutField(
            name,
            section,
            visible=raw.get("visible") is not False,
            required=raw.get("required") is True,
        )
        entries.append(_enforced(spec, entry))
    for section in spec.sections:
        for i, name in enumerate(section.fields):
            if name in seen:
                continue
            # After the nearest field before it (by default) that sits in the same section now;
            # at the top of the section when there is none.
            position = None
            for before in reversed(section.fields[:i]):
                position = next(
                    (
                        j
                        for j, e in enumerate(entries)
                        if e.name == before and e.section == section.id
                    ),
                    None,
                )
                if position is not None:
                    break
            if position is None:
                position = -1  # first: the final sort by section keeps it first in its own
            entries.insert(position + 1, _enforced(spec, LayoutField(name, section.id)))
            seen.add(name)
    return Layout(
        spec=spec,
        fields=_in_section_order(spec, entries),
        version=version,
        is_default=not stored,
    )


def layout_check(spec: FormSpec, entries: Sequence[LayoutField]) -> tuple[LayoutField, ...]:
    """A layout to save, checked strictly (unlike ``layout_from_stored``): every field of the
    spec exactly once, in a known section, with what the spec allows. Returns it in section
    order; ValidationError otherwise, with the messages about one field under its name."""
    general: list[str] = []
    by_field: dict[str, list[str]] = {}
    known = set(spec.field_names)
    seen: set[str] = set()
    for entry in entries:
        if entry.name not in known:
            general.append(
                _("The field “%(name)s” is not on this form: reload the page.")
                % {"name": entry.name[:100]}
            )
            continue
        label = spec.label_of(entry.name)
        if entry.name in seen:
            general.append(_("The field “%(field)s” is listed twice.") % {"field": label})
            continue
        seen.add(entry.name)
        problems = by_field.setdefault(entry.name, [])
        if spec.section(entry.section) is None:
            problems.append(_("Choose one of the form's sections."))
        if entry.name in spec.always_required:
            if not entry.visible:
                problems.append(_("“%(field)s” is always shown.") % {"field": label})
            if not entry.required:
                problems.append(_("“%(field)s” is always mandatory.") % {"field": label})
        elif entry.required:
            if not spec.may_require(entry.name):
                problems.append(_("“%(field)s” cannot be made mandatory.") % {"field": label})
            elif not entry.visible:
                problems.append(
                    _("“%(field)s” is hidden: a hidden field cannot be mandatory.")
                    % {"field": label}
                )
    missing = [spec.label_of(n) for n in spec.field_names if n not in seen]
    if missing:
        general.append(
            _("Fields are missing from the layout (%(fields)s): reload the page.")
            % {"fields": ", ".join(missing)}
        )
    errors: dict[str, list[str]] = {n: p for n, p in by_field.items() if p}
    if general:
        errors[NON_FIELD_ERRORS] = general
    if errors:
        raise ValidationError(errors)
    return _in_section_order(spec, entries)


def layout_for(company_id: int, form_name: str) -> Layout:
    """The company's layout of a registered form (its default when never saved). Queries: 1."""
    from piste.core.models_layouts import FormLayout

    spec = REGISTRY[form_name]
    row = (
        FormLayout.objects.filter(company_id=company_id, form_name=form_name)
        .values_list("fields", "version")
        .first()
    )
    if row is None:
        return default_layout(spec)
    return layout_from_stored(spec, row[0], row[1])


# Applying a layout to a Django form ------------------------------------------------------------


@dataclass
class BoundItem:
    """One entry as the page draws it. ``field`` is None for a block."""

    name: str
    field: BoundField | None
    required: bool
    custom: bool
    col: str

    @property
    def partial(self) -> str:
        return f"field_{self.name}"


@dataclass
class BoundSection:
    id: str
    label: StrOrPromise
    footer: bool
    items: list[BoundItem]


@dataclass
class AppliedLayout:
    """What ``layout_apply`` did to a form: the entries it kept, in their sections, by page
    column (``columns["main"]``, ``columns["side"]``) for the template."""

    layout: Layout
    shown: frozenset[str]
    columns: dict[str, list[BoundSection]]

    def shows(self, name: str) -> bool:
        return name in self.shown

    @property
    def sections(self) -> list[BoundSection]:
        return [s for column in self.columns.values() for s in column]


def _posted_entries(form: forms.BaseForm) -> set[str] | None:
    """The entries the posted page showed, when it said so."""
    if not form.is_bound:
        return None
    raw = form.data.get(form.add_prefix(POSTED_FIELD))
    # Empty is "not said": a page always shows at least its always-mandatory fields (and a
    # page drawn again after a post without the list has it empty).
    if not isinstance(raw, str) or not raw.strip():
        return None
    return {name.strip() for name in raw[:5000].split(",")}


def layout_apply(form: forms.BaseForm, layout: Layout) -> AppliedLayout:
    """Hide, require and order the form's fields as the layout says.

    A hidden entry's field (and its companions) leaves the form: it is neither rendered nor
    validated nor saved, and the record keeps its value. A mandatory entry's field becomes
    required, with Django's own "This field is required." next to it.

    The form also gains a hidden ``form_layout`` input naming the entries the page shows. When an
    administrator shows a field while someone has the form open, that person's save does not
    carry it: an entry the posted page did not show is left out of this save as if hidden (the
    record keeps its value), unless it is mandatory (then the page shows it, to be filled).
    """
    spec = layout.spec
    posted = _posted_entries(form)
    shown: set[str] = set()
    for entry in layout.fields:
        applied = entry.visible and (posted is None or entry.required or entry.name in posted)
        names = [entry.name, *spec.companions.get(entry.name, ())]
        if not applied:
            for name in names:
                form.fields.pop(name, None)
            continue
        if entry.name in spec.blocks or entry.name in form.fields:
            shown.add(entry.name)
        if entry.required and entry.name in form.fields:
            form.fields[entry.name].required = True
    form.fields[POSTED_FIELD] = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        initial=",".join(f.name for f in layout.fields if f.name in shown),
        label=gettext_lazy("form layout"),
    )
    columns: dict[str, list[BoundSection]] = {}
    for section, entries in layout.sections():
        items = [
            BoundItem(
                name=entry.name,
                field=form[entry.name] if entry.name in form.fields else None,
                required=entry.required,
                custom=spec.is_custom(entry.name),
                col=(
                    spec.widths.get(entry.name, "col-12")
                    if entry.name in section.fields
                    else "col-12"
                ),
            )
            for entry in entries
            if entry.name in shown
        ]
        column = columns.setdefault(section.column, [])
        if items or section.footer:
            column.append(BoundSection(section.id, section.label, section.footer, items))
    return AppliedLayout(layout=layout, shown=frozenset(shown), columns=columns)
