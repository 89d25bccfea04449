"""The wizard's forms: the file to upload, then the columns' mapping and the match rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.imports.adapters import Adapter
from piste.imports.models import ImportJob

# The wizard's own words for the modes (« Créer uniquement »…): shorter than the model's.
MODE_CHOICES = [
    (ImportJob.Mode.CREATE, _("Create only")),
    (ImportJob.Mode.UPDATE, _("Update only")),
    (ImportJob.Mode.BOTH, _("Create or update")),
]


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=_("Record kind"))
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1252, separated by semicolons, commas or tabs) or Excel "
            "(XLSX), with one header line. No row limit."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm"}),
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = kinds  # type: ignore[attr-defined]
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if field is self.fields["entity"] else "form-control"
            )


def column_name(index: int) -> str:
    return f"column-{index}"


def default_name(field: str) -> str:
    return f"default-{field}"


class MappingForm(forms.Form):
    """One select per file column (the field it feeds, or nothing), one default value per field,
    the match key and the mode; the service checks the whole (required fields, keys)."""

    match_on = forms.ChoiceField(label=_("Match on"), required=False)
    mode = forms.ChoiceField(label=_("What to do"), choices=MODE_CHOICES)

    def __init__(self, *args: Any, job: ImportJob, adapter: Adapter, **kwargs: Any) -> None:
        if not args and "initial" not in kwargs:
            kwargs["initial"] = initial_of(job)
        super().__init__(*args, **kwargs)
        self.job, self.adapter = job, adapter
        offered = [("", _("— not imported —"))] + [
            (spec.name, f"{spec.label}{' *' if spec.required else ''}") for spec in adapter.fields
        ]
        for index, header in enumerate(job.headers):
            name = column_name(index)
            self.fields[name] = forms.ChoiceField(
                label=header or _("Column %(number)d") % {"number": index + 1},
                choices=offered,
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        for spec in adapter.fields:
            self.fields[default_name(spec.name)] = forms.CharField(
                label=str(spec.label),
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )
        match = self.fields["match_on"]
        match.choices = [("", _("— do not match —"))] + [  # type: ignore[attr-defined]
            (key, adapter.match_label(key)) for key in adapter.match_keys
        ]
        match.widget.attrs["class"] = "form-select"
        self.fields["mode"].widget.attrs["class"] = "form-select"

    def column_fields(self) -> list[tuple[int, str, forms.BoundField]]:
        return [
            (index, header, self[column_name(index)])
            for index, header in enumerate(self.job.headers)
        ]

    def default_fields(self) -> list[forms.BoundField]:
        return [self[default_name(spec.name)] for spec in self.adapter.fields]

    def settings(self) -> dict[str, Any]:
        """The service's arguments (``import_configure``) from the cleaned data."""
        data = self.cleaned_data
        return {
            "mapping": {
                str(index): data.get(column_name(index)) or ""
                for index in range(len(self.job.headers))
            },
            "defaults": {
                spec.name: data.get(default_name(spec.name)) or "" for spec in self.adapter.fields
            },
            "match_on": data.get("match_on") or "",
            "mode": data.get("mode") or "",
        }


def initial_of(job: ImportJob) -> dict[str, Any]:
    initial: dict[str, Any] = {"match_on": job.match_on, "mode": job.mode}
    for index, name in job.mapping.items():
        if index.isdigit():
            initial[column_name(int(index))] = name
    for name, value in job.defaults.items():
        initial[default_name(name)] = value
    return initial
