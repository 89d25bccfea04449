"""``AddressForm``: the address block embedded in any record's form (see ``piste.geo.address``).

In a view::

    address_form = AddressForm(posted(request), address=record.address)
    if request.method == "POST" and all([form.is_valid(), address_form.is_valid()]):
        record_update(..., address=address_form.cleaned_data)

and in the record's ``<form>``::

    {% include "components/address_fields.html" with address_form=address_form %}

``cleaned_data`` holds ``line1``, ``line2``, ``line3``, ``postal_code``, ``city_name``, ``city``
(a ``City`` chosen among the suggestions, or None for a city typed freely) and ``country`` (a
``Country`` or None); a chosen city decides ``city_name`` and ``country``. Field names are
prefixed with "address-" so the block sits beside the record's own fields (``city_name`` and
``country`` never clash); pass another ``prefix`` for a second address in one form.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from piste.core.forms import drawn_choices
from piste.core.text import is_id
from piste.geo.models import Address, City, Country

DEFAULT_COUNTRY = "FR"


class AddressForm(forms.Form):
    line1 = forms.CharField(label=_("address"), max_length=200, required=False)
    line2 = forms.CharField(label=_("address line 2"), max_length=200, required=False)
    line3 = forms.CharField(label=_("address line 3"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("postal code"), max_length=20, required=False)
    city_name = forms.CharField(label=_("city"), max_length=200, required=False)
    # The id of the city chosen among the suggestions; empty for a city typed freely.
    city = forms.CharField(widget=forms.HiddenInput, required=False)
    # Options carry ISO codes: the autocomplete filters by the selected code and selects the
    # chosen city's code, with no id to look up.
    country = forms.ModelChoiceField(
        label=_("country"), queryset=Country.objects.all(), to_field_name="code", required=False
    )

    error_messages = {
        "invalid_city": _("Choose the city among the suggestions, or type its name."),
    }

    def __init__(
        self,
        data: Any = None,
        *,
        address: Address | None = None,
        prefix: str = "address",
        **kwargs: Any,
    ) -> None:
        self.address = address
        if address is not None:
            kwargs.setdefault(
                "initial",
                {
                    "line1": address.line1,
                    "line2": address.line2,
                    "line3": address.line3,
                    "postal_code": address.postal_code,
                    "city_name": address.city_name,
                    "city": address.city_id or "",
                    "country": address.country.code if address.country else "",
                },
            )
        else:
            kwargs.setdefault("initial", {"country": DEFAULT_COUNTRY})
        super().__init__(data, prefix=prefix, **kwargs)
        order = "name_fr" if (get_language() or "fr").startswith("fr") else "name_en"
        country = cast(forms.ModelChoiceField, self.fields["country"])
        # Any country validates (a chosen city's may be inactive); active ones, and the
        # address's own, are offered.
        country.queryset = Country.objects.order_by(order)
        shown = Q(is_active=True)
        if address is not None and address.country_id:
            shown |= Q(pk=address.country_id)
        # Plain (code, name) pairs: no Country object built for each of 250 options; read when
        # drawn (a hidden address block reads nothing).
        drawn_choices(
            country, Country.objects.filter(shown).order_by(order).values_list("code", order)
        )
        self.listbox_id = f"{self.prefix}-city-suggestions"
        combobox = {
            "role": "combobox",
            "aria-autocomplete": "list",
            "aria-expanded": "false",
            "aria-controls": self.listbox_id,
            "autocomplete": "off",
            "class": "form-control",
        }
        self.fields["postal_code"].widget.attrs.update(
            combobox, inputmode="numeric", **{"data-address-postal": ""}
        )
        self.fields["city_name"].widget.attrs.update(combobox, **{"data-address-city-name": ""})
        self.fields["city"].widget.attrs.update({"data-address-city-id": ""})
        country.widget.attrs.update({"class": "form-select", "data-address-country": ""})
        for name in ("line1", "line2", "line3"):
            self.fields[name].widget.attrs.update({"class": "form-control"})
        self.fields["line1"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["line2"].widget.attrs["autocomplete"] = "address-line2"
        self.fields["line3"].widget.attrs["autocomplete"] = "address-line3"

    def clean_city(self) -> City | None:
        raw = (self.cleaned_data.get("city") or "").strip()
        if not raw:
            return None
        city = None
        if is_id(raw):
            city = City.objects.select_related("country", "department").filter(pk=int(raw)).first()
        if city is None:
            raise forms.ValidationError(self.error_messages["invalid_city"], code="invalid_city")
        return city

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        city = cleaned.get("city")
        if city is not None:
            cleaned["city_name"] = city.name
            cleaned["country"] = city.country
        return cleaned

    @property
    def chosen_city(self) -> City | None:
        """The city to show: the valid one posted, else the address's."""
        if self.is_bound:
            return getattr(self, "cleaned_data", {}).get("city")
        return self.address.city if self.address is not None else None

    @property
    def department_label(self) -> str:
        """The chosen city's department, shown read-only by the city ("93 Seine-Saint-Denis")."""
        city = self.chosen_city
        return str(city.department) if city is not None and city.department else ""
