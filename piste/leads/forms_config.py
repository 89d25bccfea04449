"""Forms of the lead status configuration page. They check the input's shape; the services check
the rules (unique names, which statuses may be open or closed, the three roles)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.leads.models import LeadStatus


class LeadStatusForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    is_open = forms.BooleanField(
        label=pgettext_lazy("lead status", "open"),
        required=False,
        help_text=_("Open statuses list under Open leads, closed ones under Closed leads."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"class": "form-control", "autofocus": True})
        self.fields["is_open"].widget.attrs["class"] = "form-check-input"

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class LeadStatusRolesForm(forms.Form):
    """Which statuses new, converted and lost leads take ("Lifecycle").

    The choices come from the statuses the page already read, so the three selects cost no query.
    """

    default = forms.TypedChoiceField(label=_("default status"), coerce=int)
    converted = forms.TypedChoiceField(label=_("converted status"), coerce=int)
    lost = forms.TypedChoiceField(label=_("lost status"), coerce=int)

    HELP = {
        "default": _("New and reopened leads take this status. An open status."),
        "converted": _("Convert gives this status to a lead. A closed status."),
        "lost": _("Lose gives this status to a lead. A closed status."),
    }

    def __init__(self, *args: Any, statuses: list[LeadStatus], **kwargs: Any) -> None:
        self.statuses = {s.pk: s for s in statuses}
        initial = {s.role: s.pk for s in statuses if s.role}
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(s.pk, s.name) for s in statuses]
        for name, field in self.fields.items():
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices
            field.help_text = self.HELP[name]
            field.error_messages["invalid_choice"] = _("Choose a status of the list.")
            field.widget.attrs["class"] = "form-select"

    def status(self, name: str) -> LeadStatus:
        """The chosen status of a valid form."""
        return self.statuses[self.cleaned_data[name]]


def status_ids(values: list[str]) -> list[int] | None:
    """Status ids posted by the reorder form, or None when one of them is not a number."""
    try:
        ids = [int(v) for v in values]
    except (TypeError, ValueError):
        return None
    # Beyond a bigint, PostgreSQL would refuse the comparison (a 500 instead of an error).
    return ids if all(0 < i < 2**63 for i in ids) else None
