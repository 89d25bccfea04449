"""Forms of the territory configuration pages. They check the input's shape; the services check
the whole row (codes unique per country, department of the city's country…)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from piste.geo import selectors, services
from piste.geo.models import City, Country, Department, Region

SIX_PLACES = Decimal("0.000001")


def _style(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


def _single_spaced(value: str) -> str:
    return " ".join((value or "").split())


def country_from(value: Any) -> Country | None:
    """The country an ISO code (or a Country) designates, or None."""
    if isinstance(value, Country):
        return value
    code = str(value or "").strip().upper()
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        return None  # ISO alpha-2 codes are two letters; nothing else reaches the database
    return Country.objects.filter(code=code).first()


class CountryChoiceField(forms.ModelChoiceField):
    """Countries by ISO code (``?country=FR``), named in the current language."""

    def __init__(self, *, current: Country | None, **kwargs: Any) -> None:
        active = Country.objects.filter(Q(is_active=True) | Q(pk=getattr(current, "pk", None)))
        super().__init__(
            queryset=selectors.countries_by_name(active),
            to_field_name="code",
            label=_("country"),
            error_messages={"invalid_choice": _("Choose a country of the list.")},
            **kwargs,
        )


class TerritoryForm(forms.ModelForm):
    """A territory record's form. ``dependent_fields`` are offered for the chosen country only
    and reloaded (HTMX) when the country changes."""

    dependent_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country: Country | None = None
        if "country" in self.fields:
            self.country = self._chosen_country()
            self.fields["country"] = CountryChoiceField(
                current=getattr(self.instance, "country", None) if self.instance.pk else None
            )
            if self.country is not None:
                self.initial["country"] = self.country.code
            if self.dependent_fields:
                self.fields["country"].widget.attrs.update(
                    {
                        # The same page, with only the country: the view answers with the
                        # dependent fields for that country (the view sets the path).
                        "hx-get": "",
                        "hx-trigger": "change",
                        "hx-target": "#dependent-fields",
                        "hx-swap": "outerHTML",
                    }
                )
        _style(self)

    def _chosen_country(self) -> Country | None:
        if self.is_bound:
            return country_from(self.data.get("country"))
        if "country" in self.initial and not isinstance(self.initial["country"], int):
            return country_from(self.initial["country"])
        return getattr(self.instance, "country", None) if self.instance.pk else None

    @property
    def dependent_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.dependent_fields]

    def clean_name(self) -> str:
        name = _single_spaced(self.cleaned_data.get("name", ""))
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip()

    def _post_clean(self) -> None:
        # The whole row is validated by the service; this also keeps the edited instance untouched
        # until the service changes it (its timeline compares before and after).
        pass


def _limited(field: forms.Field, queryset: QuerySet[Any], message: str) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset
    field.error_messages["invalid_choice"] = message


class CountryForm(TerritoryForm):
    class Meta:
        model = Country
        fields = ["name_fr", "name_en", "is_active"]

    def clean_name_fr(self) -> str:
        return self._name("name_fr")

    def clean_name_en(self) -> str:
        return self._name("name_en")

    def _name(self, field: str) -> str:
        name = _single_spaced(self.cleaned_data.get(field, ""))
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class RegionForm(TerritoryForm):
    class Meta:
        model = Region
        fields = ["country", "code", "name"]


class DepartmentForm(TerritoryForm):
    dependent_fields = ("region",)

    class Meta:
        model = Department
        fields = ["country", "region", "code", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country_id = self.country.pk if self.country else None
        _limited(
            self.fields["region"],
            selectors.regions_of(country_id),
            str(_("Choose a region of the chosen country.")),
        )


class CoordinateField(forms.DecimalField):
    """A latitude or longitude in degrees: "48.8566" or "48,8566", rounded to 6 places."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        super().__init__(
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")[:50]
        return super().to_python(value)

    def clean(self, value: Any) -> Decimal | None:
        number = super().clean(value)  # in range here, so the rounding cannot overflow
        return None if number is None else number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


class CityForm(TerritoryForm):
    dependent_fields = ("department", "region")

    postal_codes = forms.CharField(
        label=_("postal codes"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas or spaces, for example: 75001, 75002."),
    )
    latitude = CoordinateField(limit=90, label=_("latitude"), help_text=_("From -90 to 90."))
    longitude = CoordinateField(limit=180, label=_("longitude"), help_text=_("From -180 to 180."))

    class Meta:
        model = City
        fields = ["name", "country", "department", "region", "insee_code", "latitude", "longitude"]

    field_order = [
        "name",
        "country",
        "department",
        "region",
        "postal_codes",
        "insee_code",
        "latitude",
        "longitude",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country_id = self.country.pk if self.country else None
        _limited(
            self.fields["department"],
            selectors.departments_of(country_id),
            str(_("Choose a department of the chosen country.")),
        )
        _limited(
            self.fields["region"],
            selectors.regions_of(country_id),
            str(_("Choose a region of the chosen country.")),
        )
        self.fields["region"].help_text = _("Left empty, the department's region.")
        if self.instance.pk and not self.is_bound:
            codes = [pc.code for pc in self.instance.postal_codes.all()]
            self.initial.setdefault("postal_codes", ", ".join(codes))

    def clean_insee_code(self) -> str:
        return "".join((self.cleaned_data.get("insee_code") or "").split()).upper()

    def clean_postal_codes(self) -> list[str]:
        try:
            return services.normalize_postal_codes(
                services.split_postal_codes(self.cleaned_data.get("postal_codes") or "")
            )
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["postal_codes"]) from exc
