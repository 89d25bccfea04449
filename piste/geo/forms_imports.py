"""Forms of the city import pages: a new import, and the download addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.geo.imports import FRANCE_ONLY, UPLOAD_SUFFIXES, max_upload_bytes
from piste.geo.models import CityImport, Country, ImportSettings

Source = CityImport.Source


class CityImportForm(forms.Form):
    import_format = forms.ChoiceField(
        label=_("Format"),
        choices=CityImport.Format.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=Source.choices,
        initial=Source.MANUAL,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("A .txt, .csv or .zip file (manual import)."),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ",".join(UPLOAD_SUFFIXES)}
        ),
    )
    country = forms.ModelChoiceField(
        label=_("Country"),
        queryset=Country.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "Automatic import: the country to download (France when empty). Manual import of "
            "a GeoNames file: only the lines of this country (all when empty)."
        ),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].widget.attrs["class"] = "form-check-input"

    def clean_file(self) -> UploadedFile | None:
        upload: UploadedFile | None = self.cleaned_data.get("file")
        if upload is None:
            return None
        if Path(upload.name or "").suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(_("Choose a .txt, .csv or .zip file."))
        limit = max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(size)d MB.") % {"size": limit >> 20}
            )
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        import_format = data.get("import_format")
        country: Country | None = data.get("country")
        if source == Source.MANUAL and not data.get("file") and "file" not in self.errors:
            self.add_error("file", _("Choose a file to import."))
        if source == Source.AUTOMATIC:
            if data.get("file"):
                self.add_error("file", _("An automatic import downloads its file: choose none."))
            if import_format == CityImport.Format.CSV:
                self.add_error(
                    "import_format",
                    _("The Piste CSV template can only be imported from a file."),
                )
        if import_format in FRANCE_ONLY and country is not None and country.code != "FR":
            self.add_error("country", _("INSEE and La Poste files cover France only."))
        return data


def _https_url_fields(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    # An address typed without a scheme is https (Django 6's default, said now).
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class ImportSettingsForm(forms.ModelForm):
    class Meta:
        model = ImportSettings
        formfield_callback = _https_url_fields
        fields = [
            "geonames_cities_url",
            "geonames_admin1_url",
            "geonames_admin2_url",
            "geonames_postal_url",
            "insee_regions_url",
            "insee_departments_url",
            "insee_communes_url",
            "laposte_url",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
