from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piste.core.forms import style_form

# An expiry further than this is a typo (year 20266), not a plan.
MAX_YEARS = 10


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("What will use the token: « Website », « Zapier »…"),
    )
    expires_on = forms.DateField(
        label=_("expires on"),
        required=False,
        help_text=_("Optional: the token stops working after this day."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        style_form(self)

    def clean_expires_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("Choose today or a later day."))
        if day > today.replace(year=today.year + MAX_YEARS):
            raise forms.ValidationError(
                _("Choose a day within %(years)d years.") % {"years": MAX_YEARS}
            )
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the server's time zone."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
