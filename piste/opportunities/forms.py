"""The opportunity forms: the record form (create, and edit on the opportunity page), the Win
dialog's partner types and the list filters. The forms check what a user can fix next to a
field; the services validate again and decide (``add_service_errors`` puts their refusals next to
the same fields)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.access import Actor
from piste.core.forms import (
    IdsChoiceField,
    VersionedForm,
    assignee_choices,
    company_choices,
    posted_list,
    searchable,
    style_form,
)
from piste.core.rights import Right
from piste.core.selectors import CHOICES, bounded_choices
from piste.core.text import is_id, search_text
from piste.leads.models import LeadSource
from piste.opportunities.models import MAX_AMOUNT, Opportunity, OpportunityStage
from piste.opportunities.selectors import OpportunityFilters
from piste.opportunities.services import FIRST_YEAR, LAST_YEAR, MAX_DESCRIPTION
from piste.partners.models import Contact, Partner
from piste.partners.selectors import contact_label, contacts_for_user, partners_for_user
from piste.users.models import Team

# The currencies offered; another one already on an opportunity stays offered there.
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "CAD"]
# Ids are BIGINT: a larger number would overflow the database driver (a 500, not "no match").
MAX_ID = 2**63 - 1


class IdChoiceField(forms.ModelChoiceField):
    """A row id of the queryset; text that is not an id is refused before any query."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not is_id(str(value)):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_year(value: date | None) -> date | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise forms.ValidationError(
            _("Enter a date between the years %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return value


def partner_contacts_queryset(user: Any, partner_id: int | None) -> QuerySet[Contact]:
    """The contacts of a partner the user sees: its own and those attached to it."""
    if partner_id is None:
        return Contact.objects.none()
    return (
        contacts_for_user(user)
        .filter(Q(main_partner_id=partner_id) | Q(other_partners=partner_id))
        .distinct()
    )


def contact_options(user: Any, partner_id: int | None, limit: int = 200) -> list[tuple[int, str]]:
    """(id, "Name (Company)") of a partner's contacts, by name: what the contacts select offers."""
    rows = (
        partner_contacts_queryset(user, partner_id)
        .select_related("main_partner")
        .only(
            "id",
            "full_name",
            "last_name",
            "name_key",
            "main_partner__full_name",
            "main_partner__name",
        )
        .order_by("name_key", "id")[:limit]
    )
    return [(c.pk, contact_label(c)) for c in rows]


class OpportunityForm(VersionedForm, forms.ModelForm):
    """An opportunity's fields. The partner is any partner the user sees (a searchable picker);
    the contacts are the partner's."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=MAX_ID)
    partner = IdChoiceField(
        label=_("customer / prospect"),
        queryset=Partner.objects.none(),
        error_messages={
            "required": _("Choose the customer or prospect."),
            "invalid_choice": _("Choose a partner of the list."),
        },
    )
    contacts = IdsChoiceField(
        label=_("contacts"),
        queryset=Contact.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose contacts of the partner.")},
    )
    amount = forms.DecimalField(
        label=_("amount"),
        min_value=0,
        max_value=MAX_AMOUNT,
        max_digits=14,
        decimal_places=2,
        required=False,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    currency = forms.ChoiceField(label=_("currency"), choices=[(c, c) for c in CURRENCIES])
    probability = forms.IntegerField(
        label=_("probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    expected_close_date = forms.DateField(
        label=_("expected signing date"), required=False, widget=_date_widget()
    )
    description = forms.CharField(
        label=_("description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "partner",
            "contacts",
            "amount",
            "currency",
            "probability",
            "expected_close_date",
            "stage",
            "assigned_to",
            "team",
            "source",
            "description",
        ]
        field_classes = {
            "stage": IdChoiceField,
            "assigned_to": IdChoiceField,
            "team": IdChoiceField,
            "source": IdChoiceField,
        }
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        company_id = actor.company.pk
        opportunity: Opportunity = self.instance
        self.is_new = opportunity.pk is None
        fields = self.fields
        # Partner: any partner the user sees (organisations and persons); the select offers the
        # chosen one and the first ones, and searches the others.
        partner = cast(forms.ModelChoiceField, fields["partner"])
        visible = partners_for_user(actor.user)
        partner.queryset = visible
        chosen = [
            *posted_list(self.data, self.add_prefix("partner")),
            opportunity.partner_id,
            self.initial.get("partner"),
        ]
        offered = bounded_choices(
            visible.only("id", "full_name", "name", "name_key"),
            chosen=[c for c in chosen if c],
            limit=CHOICES,
        )
        searchable(
            partner,
            f"{reverse('partners:organisation_choices')}?all=1",
            [("", "---------"), *((p.pk, str(p)) for p in offered)],
        )
        # Contacts: those of the partner posted, else of the saved or prefilled one.
        partner_id = self._partner_id()
        contacts = cast(forms.ModelMultipleChoiceField, fields["contacts"])
        contacts.queryset = partner_contacts_queryset(actor.user, partner_id)
        contacts.widget.choices = contact_options(actor.user, partner_id)
        # A new partner chosen: its contacts replace the options (HTMX).
        picker = f"#{self['partner'].auto_id}"
        contacts.widget.attrs.update(
            {
                "size": 4,
                "hx-get": reverse("opportunities:contact_choices"),
                "hx-trigger": f"change from:{picker}",
                "hx-include": picker,
                "hx-swap": "innerHTML",
                "data-testid": "contacts-select",
            }
        )
        # Stage: a new opportunity takes an open stage (the default one unless chosen); the
        # page of a saved one moves it with the status bar.
        if self.is_new:
            stage = cast(forms.ModelChoiceField, fields["stage"])
            stage.queryset = OpportunityStage.objects.filter(company_id=company_id, is_open=True)
            stage.required = False
            stage.empty_label = str(_("Default stage"))
            del fields["version"]
            self.initial.setdefault("assigned_to", actor.user.pk)
            self.initial.setdefault("team", actor.user.active_team_id)
            self.initial.setdefault("currency", "EUR")
            self.initial.setdefault("probability", 10)
        else:
            del fields["stage"]
            fields["version"].initial = opportunity.version
            if opportunity.currency not in CURRENCIES:
                currency = cast(forms.ChoiceField, fields["currency"])
                currency.choices = [
                    *((c, c) for c in CURRENCIES),
                    (opportunity.currency, opportunity.currency),
                ]
        company_choices(self, {"team": Team, "source": LeadSource}, company_id)
        assignee_choices(
            cast(forms.ModelChoiceField, fields["assigned_to"]),
            company_id,
            opportunity.assigned_to_id,
        )
        style_form(self)
        fields["partner"].widget.attrs["data-testid"] = "partner-picker"

    def _partner_id(self) -> int | None:
        posted = self.data.get(self.add_prefix("partner")) if self.is_bound else None
        if posted is not None:
            return int(posted) if is_id(posted) else None
        initial = self.initial.get("partner") or self.instance.partner_id
        value = getattr(initial, "pk", initial)
        return int(value) if value is not None and is_id(value) else None

    def clean_expected_close_date(self) -> date | None:
        return _check_year(self.cleaned_data.get("expected_close_date"))

    def _post_clean(self) -> None:
        # The service validates and saves: the record in memory keeps its saved values, which the
        # service compares with the new ones for the timeline.
        pass

    def opportunity_data(self) -> dict[str, Any]:
        """What the services take: the form's fields but the contacts and the version."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("contacts", "version")
        }
        for name in ("amount", "probability"):
            if data.get(name) is None:
                data[name] = 0
        assignee = data.get("assigned_to")
        if not self.is_new and assignee is not None and assignee.pk == self.instance.assigned_to_id:
            # Unchanged (possibly a user who left the company): not checked again.
            del data["assigned_to"]
        return data


# The types the Win dialog offers, in the order a sales team reads them.
WIN_TYPES = [
    ("is_customer", _("Customer")),
    ("is_prospect", _("Prospect")),
    ("is_supplier", _("Supplier")),
    ("is_partner", pgettext_lazy("partner type", "Partner")),
    ("is_internal", _("Internal")),
    ("is_factor", _("Factor")),
]


class WinForm(forms.Form):
    """« Select partner type to create »: the partner's types once the opportunity is won, set
    exactly as ticked. Customer is ticked at first (for users who may make customers), Prospect
    not; the other types as the partner has them."""

    def __init__(self, *args: Any, actor: Actor, partner: Partner, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        may_make_customer = partner.is_customer or actor.has(Right.CREATE_CUSTOMERS)
        for name, label in WIN_TYPES:
            self.fields[name] = forms.BooleanField(label=label, required=False)
            if name == "is_customer":
                self.initial[name] = may_make_customer
            elif name == "is_prospect":
                self.initial[name] = False
            else:
                self.initial[name] = getattr(partner, name)
        if not may_make_customer:
            self.fields["is_customer"].help_text = _(
                "Only users with the right « create customers » may make a customer."
            )
        style_form(self)

    def partner_types(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(name)) for name, _label in WIN_TYPES}


class SearchField(forms.CharField):
    """The search box: control characters (a NUL included) are dropped, not refused."""

    def to_python(self, value: Any) -> str:
        return search_text(super().to_python(value))


class StageIdsField(forms.Field):
    """Stage ids from repeated parameters (``?stage=3&stage=4``)."""

    widget = forms.SelectMultiple
    default_error_messages = {"invalid": _("Choose valid values.")}

    def to_python(self, value: Any) -> list[int]:
        if value in self.empty_values:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        ids: list[int] = []
        for item in values[:100]:
            text = str(item).strip()
            if not is_id(text) or not 0 < int(text) <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if int(text) not in ids:
                ids.append(int(text))
        return ids


class OpportunityFilterForm(forms.Form):
    """The filters of a list, bound to the query string. Fields with errors are ignored (and
    their errors shown); the others still apply. No query validates them: an id of nothing (or
    of another company) matches no opportunity of the access-checked list."""

    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "autocomplete": "off",
                "maxlength": 100,
                "placeholder": _("Search by name, partner or reference"),
            }
        ),
    )
    stage = StageIdsField(label=_("Sales stage"), required=False)
    owner = forms.IntegerField(label=_("Owner"), required=False, min_value=1, max_value=MAX_ID)
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1, max_value=MAX_ID)
    expected_from = forms.DateField(
        label=_("Signing from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    expected_to = forms.DateField(
        label=_("Signing until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def clean_expected_from(self) -> date | None:
        return _check_year(self.cleaned_data.get("expected_from"))

    def clean_expected_to(self) -> date | None:
        return _check_year(self.cleaned_data.get("expected_to"))

    def filters(self) -> OpportunityFilters:
        """The valid filters (validating the form first)."""
        self.is_valid()
        data = self.cleaned_data
        return OpportunityFilters(
            q=data.get("q") or "",
            stages=data.get("stage") or [],
            owner=data.get("owner"),
            team=data.get("team"),
            expected_from=data.get("expected_from"),
            expected_to=data.get("expected_to"),
        )
