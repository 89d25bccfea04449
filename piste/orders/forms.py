from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from piste.core.forms import style_form
from piste.orders.models import SaleOrder
from piste.orders.services import FORM_FIELDS


class OrderForm(forms.ModelForm):
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

    def set_version(self, version: int) -> None:
        """After a conflict: the page keeps the typed values and now carries the saved version."""
        if isinstance(self.data, QueryDict):
            data = self.data.copy()
            data[self.add_prefix("version")] = str(version)
            self.data = data
