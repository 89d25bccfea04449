from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import CharField, Value
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from piste.core.contact import MAX_PHONE_INPUT
from piste.core.forms_renderer import PairsSelect
from piste.core.models import NamedReferential
from piste.core.referentials import Referential
from piste.core.text import is_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data of a POST request, even an empty one, so missing fields show their errors."""
    return request.POST if request.method == "POST" else None


class ColorInput(forms.TextInput):
    input_type = "color"


def company_users(company_id: int):
    return (
        get_user_model()
        .objects.filter(memberships__company_id=company_id, memberships__is_active=True)
        .order_by("first_name", "last_name", "username")
    )


class ReferentialForm(forms.ModelForm):
    """Edits one configuration list entry; choices are limited to the user's company."""

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        for name, field in self.fields.items():
            model_field = self._meta.model._meta.get_field(name)
            related = getattr(model_field, "related_model", None)
            # A relation's form field is a ModelChoiceField (ModelMultipleChoiceField included).
            if related is None or not isinstance(field, forms.ModelChoiceField):
                continue
            if related is get_user_model() or f"{related._meta.app_label}.{related.__name__}" == (
                settings.AUTH_USER_MODEL
            ):
                field.queryset = company_users(company_id)
            elif hasattr(related, "company"):
                field.queryset = related.objects.filter(company_id=company_id)
            if isinstance(field, forms.ModelMultipleChoiceField):
                field.widget.attrs["size"] = 8
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else (
                    "form-select"
                    if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                    else "form-control form-control-color"
                    if isinstance(field.widget, ColorInput)
                    else "form-control"
                )
            )
            field.widget.attrs.setdefault("class", css)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def _post_clean(self) -> None:
        # Validation of the whole row (unique name, company) belongs to the service.
        pass


def referential_form_class(referential: Referential) -> type[ReferentialForm]:
    model: type[NamedReferential] = referential.model
    widgets = {}
    if "color" in referential.fields:
        widgets["color"] = ColorInput()
    meta = type(
        "Meta", (), {"model": model, "fields": ("name", *referential.fields), "widgets": widgets}
    )
    return type(f"{model.__name__}Form", (ReferentialForm,), {"Meta": meta})


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("One name per line, in the first column. A header line is skipped."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.txt"}),
    )


# Helpers of the record forms (leads, partners, contacts) ---------------------------------------


def scoring_choices() -> list[tuple[int, str]]:
    """0 to 5 stars, each labelled for screen readers ("3 stars")."""
    return [(0, str(_("No stars")))] + [
        (n, ngettext("%(count)d star", "%(count)d stars", n) % {"count": n}) for n in range(1, 6)
    ]


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's refusal on the form: errors keyed by a field of the form go next to it, the
    others (and plain messages) at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def style_form(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.RadioSelect):
            css = "btn-check"
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


def phone_field(label: StrOrPromise) -> forms.CharField:
    # Longer than the stored E.164 (20): people type "+33 (0)6 12 34 56 78".
    return forms.CharField(
        label=label,
        max_length=MAX_PHONE_INPUT,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )


class VersionedForm(forms.BaseForm):
    """A form of a record saved with its version (optimistic locking: the service refuses a
    save when the version moved on)."""

    def set_version(self, version: int) -> None:
        """After a conflict: the page keeps the typed values and now posts the saved version,
        so saving again knowingly replaces the other user's changes."""
        data = self.data.copy() if hasattr(self.data, "copy") else dict(self.data)
        data[self.add_prefix("version")] = str(version)
        self.data = data


def posted_list(data: Any, key: str) -> list[Any]:
    """The values posted under ``key`` (a QueryDict's list, or a plain dict's value)."""
    if hasattr(data, "getlist"):
        return list(data.getlist(key))
    value = data.get(key) if data else None
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def searchable(field: forms.ChoiceField, url: str, offered: Iterable[tuple[Any, Any]]) -> None:
    """Make ``field`` a picker over a referential too large for a select: it offers ``offered``
    (the chosen rows and a few more) and static/piste/choices.js adds a search box that asks
    ``url`` for the others. Any row of the field's queryset still validates."""
    field.widget.choices = list(offered)
    field.widget.attrs.update(
        {
            "data-choices-url": url,
            "data-choices-search": _("Type to search"),
            "data-choices-none": _("Nothing matches."),
            "data-choices-error": _("The search failed: try again."),
        }
    )


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Ids of rows of its queryset; text that is not an id is refused before any query (forty
    nines overflow SQLite's integers)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            if not is_id(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]


def tag_picker(form: forms.BaseForm, company_id: int) -> None:
    """The form's ``tags`` field: any tag of the company validates; the select offers those
    chosen (posted, or the record's as the ModelForm read them: no query more) and the first
    ones by name, and searches the others."""
    from piste.core.models import Tag
    from piste.core.selectors import CHOICES, bounded_choices

    company_tags = Tag.objects.filter(company_id=company_id)
    declared = form.fields["tags"]
    field = form.fields["tags"] = IdsChoiceField(
        queryset=company_tags,
        required=declared.required,
        label=declared.label,
        widget=declared.widget,
        help_text=declared.help_text,
    )
    chosen = [
        *posted_list(form.data, form.add_prefix("tags")),
        *(getattr(t, "pk", t) for t in form.initial.get("tags") or []),
    ]
    offered = bounded_choices(
        company_tags.only("id", "name", "name_key"), chosen=chosen, limit=CHOICES
    )
    searchable(field, reverse("choices:tags"), ((t.pk, t.name) for t in offered))


def drawn_choices(
    field: forms.ModelChoiceField,
    rows: Iterable[Any],
    label: Callable[..., tuple[Any, Any]] | None = None,
) -> None:
    """``field`` offers ``rows`` (a values_list of (id, label), or of columns ``label`` makes
    the pair from; iterable again at each drawing) read when its select is drawn: no model
    object built for each option, nothing read when the field is hidden. Its queryset still
    decides what validates."""

    def offered() -> list[tuple[Any, Any]]:
        empty = [] if field.empty_label is None else [("", field.empty_label)]
        return [*empty, *(rows if label is None else (label(*row) for row in rows))]

    widget = PairsSelect(offered, attrs=field.widget.attrs)
    widget.is_required = field.widget.is_required
    field.widget = widget


class _CompanyRows:
    """The (id, name) rows of a form's small referentials (categories, teams, sources…), read in
    one query, by name, when the first of their selects is drawn: one round trip where each
    select took its own."""

    def __init__(self, models: dict[str, Any], company_id: int) -> None:
        self.parts = [
            model.objects.filter(company_id=company_id)
            .order_by()
            .values_list(Value(name, output_field=CharField()), "pk", "name", "name_key")
            for name, model in models.items()
        ]
        self.rows: dict[str, list[tuple[int, str]]] | None = None

    def of(self, name: str) -> list[tuple[int, str]]:
        if self.rows is None:
            self.rows = {}
            first, *others = self.parts
            for kind, pk, label, _key in first.union(*others, all=True).order_by("name_key", "pk"):
                self.rows.setdefault(kind, []).append((pk, label))
        return self.rows.get(name, [])


class _Rows:
    """One field's rows of a ``_CompanyRows``, iterable again at each drawing."""

    def __init__(self, rows: _CompanyRows, name: str) -> None:
        self.company_rows, self.name = rows, name

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return iter(self.company_rows.of(self.name))


def company_choices(form: forms.BaseForm, models: dict[str, Any], company_id: int) -> None:
    """Each field named in ``models`` (name -> referential model) accepts its company's rows and
    offers them by name."""
    shown = {name: model for name, model in models.items() if name in form.fields}
    if not shown:
        return
    rows = _CompanyRows(shown, company_id)
    for name, model in shown.items():
        field = cast(forms.ModelChoiceField, form.fields[name])
        field.queryset = model.objects.filter(company_id=company_id)
        drawn_choices(field, _Rows(rows, name))


def assignee_choices(field: forms.ModelChoiceField, company_id: int, owner_id: int | None) -> None:
    """The company's active members; a user who left the company stays offered on the records
    they own (``owner_id``)."""
    users = company_users(company_id)
    if owner_id is not None:
        users = users | get_user_model().objects.filter(pk=owner_id)
    field.queryset = users.distinct()
    drawn_choices(
        field,
        field.queryset.values_list("pk", "first_name", "last_name", "username"),
        lambda pk, first, last, username: (pk, f"{first} {last}".strip() or username),
    )
