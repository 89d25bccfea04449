from __future__ import annotations

from typing import Any

from django import forms

from piste.core.forms import VersionedForm, style_form
from piste.orders.models import SaleOrder
from piste.orders.services import FORM_FIELDS


class OrderForm(VersionedForm, forms.ModelForm):
    """A draft order's fields; the service checks them again."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    class Meta:
        model = SaleOrder
        fields = FORM_FIELDS
        widgets = {
            "order_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "total": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        style_form(self)
