"""Forms of duplicate checks: the fields to compare, for a check of a list and for a scan of
the whole database. Which records a check reads (a selection's ids, a list's query) is checked
by ``services_checks.check_scope``, with its own messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.duplicates.fields import FIELDS, entity_clean, fields_clean

_FIELD_ERRORS = {
    "required": _("Choose at least one field to compare."),
    "invalid_choice": _("“%(value)s” is not a field duplicates can be checked on."),
}


class CheckForm(forms.Form):
    """The fields a check compares (``?field=name&field=company``)."""

    field = forms.MultipleChoiceField(
        label=_("Compare"),
        widget=forms.CheckboxSelectMultiple,
        error_messages=_FIELD_ERRORS,
    )

    def __init__(self, *args: Any, entity: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["field"]
        field.choices = [(f.key, f.label) for f in FIELDS[entity].values()]


class ScanForm(forms.Form):
    """A scan of every record of one kind the user sees."""

    entity = forms.CharField(max_length=20)
    field = forms.MultipleChoiceField(
        choices=sorted({(k, k) for fields in FIELDS.values() for k in fields}),
        error_messages=_FIELD_ERRORS,
    )

    def clean_entity(self) -> str:
        return entity_clean(self.cleaned_data["entity"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "entity" in data and "field" in data:
            try:
                data["field"] = fields_clean(data["entity"], data["field"])
            except forms.ValidationError as exc:
                self.add_error("field", exc)
        return data
