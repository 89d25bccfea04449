"""The merge page's form: which record survives and, per field, whose value is kept."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.duplicates.selectors_merge import FieldRow

PREFIX = "choice_"


class MergeForm(forms.Form):
    """``survivor`` (a record's id) and one ``choice_<field>`` per field whose values differ;
    a field left unanswered keeps the default (the survivor's value unless it is empty)."""

    survivor = forms.TypedChoiceField(
        label=_("Record kept"),
        coerce=int,
        error_messages={
            "required": _("Choose the record to keep."),
            "invalid_choice": _("Choose the record to keep among those merged."),
        },
    )

    def __init__(self, *args: Any, records: list[Any], rows: list[FieldRow], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.records = records
        ids = [(str(r.pk), str(r.pk)) for r in records]
        self.fields["survivor"].choices = ids  # type: ignore[attr-defined]
        self.fields["survivor"].initial = records[0].pk
        for row in rows:
            if row.same:
                continue
            self.fields[f"{PREFIX}{row.name}"] = forms.TypedChoiceField(
                label=row.label,
                choices=ids,
                coerce=int,
                required=False,
                empty_value=None,
                initial=row.default,
                error_messages={
                    "invalid_choice": _("Choose, for each field, one of the merged records.")
                },
            )

    def survivor_and_others(self) -> tuple[Any, list[Any]]:
        pk = self.cleaned_data["survivor"]
        survivor = next(r for r in self.records if r.pk == pk)
        return survivor, [r for r in self.records if r.pk != pk]

    def choices(self) -> dict[str, int]:
        return {
            name.removeprefix(PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(PREFIX) and value is not None
        }
