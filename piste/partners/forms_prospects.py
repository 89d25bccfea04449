"""Forms of the prospect workflow: the lists' and the kanban's filters, the Lose dialog, the
status a click or a drop asks for."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from piste.core.forms import style_form
from piste.leads.forms import LoseForm
from piste.partners.models import PartnerStatus
from piste.partners.selectors_prospects import ProspectFilters
from piste.users.models import User


class ProspectLoseForm(LoseForm):
    """« Perdu »: a lost reason of the company (a comment when the reason asks for one), the
    lead's Lose dialog on a prospect."""


class StatusForm(forms.Form):
    """The status a click on the status bar or a drop in a kanban column asks for: one of the
    company's (anything else is an error, never a 500)."""

    status = forms.ModelChoiceField(
        queryset=PartnerStatus.objects.none(),
        error_messages={
            "required": _("Choose a status."),
            "invalid_choice": _("Choose a status of this company."),
        },
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = PartnerStatus.objects.filter(company_id=company_id)

    def message(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class ProspectFilterForm(forms.Form):
    """?q=, ?status= (repeatable) and ?owner= of a prospect list or the kanban. A value that is
    not one of the choices is ignored (and said so), never an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name starts with…"), "autocomplete": "off"}
        ),
    )
    status = forms.TypedMultipleChoiceField(label=_("Status"), required=False, coerce=int)
    owner = forms.TypedChoiceField(
        label=_("Account owner"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self, *args: Any, statuses: list[PartnerStatus], users: list[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        owner = self.fields["owner"]
        assert isinstance(status, forms.ChoiceField) and isinstance(owner, forms.ChoiceField)
        status.choices = [(s.pk, s.name) for s in statuses]
        owner.choices = [("", _("Anyone")), *((u.pk, str(u)) for u in users)]
        style_form(self)

    def filters(self) -> ProspectFilters:
        """The valid filters; the invalid ones are dropped (``errors`` says which)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return ProspectFilters(
            q=data.get("q") or "",
            statuses=list(data.get("status") or []),
            owner=data.get("owner"),
        )
