"""The conversion wizard's form: which partner (new or existing), its types and prospect status,
and which contacts (none, a new one, existing ones). Pickers search the address book through
the access layer; the service checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.forms import IdsChoiceField, posted_list, searchable, style_form
from piste.core.text import is_id
from piste.leads import services_convert as convert
from piste.partners.models import Contact, Partner, PartnerStatus
from piste.partners.selectors import contact_label

TYPE_CHOICES = [
    ("is_prospect", _("Prospect")),
    ("is_customer", _("Customer")),
    ("is_supplier", _("Supplier")),
    ("is_partner", pgettext_lazy("partner type", "Partner")),
]


class _PartnerField(forms.ModelChoiceField):
    """A partner id; text that is not an id is refused before any query."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not is_id(str(value)):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ConvertForm(forms.Form):
    partner_choice = forms.ChoiceField(
        label=_("Conversion of the lead into a partner"),
        choices=[
            (convert.PARTNER_NEW, _("Create a new partner")),
            (convert.PARTNER_EXISTING, _("Select an existing partner")),
        ],
        widget=forms.RadioSelect,
        initial=convert.PARTNER_NEW,
    )
    partner = _PartnerField(
        label=_("existing partner"),
        queryset=Partner.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a partner of the list.")},
    )
    types = forms.MultipleChoiceField(
        label=_("partner type"),
        choices=TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=["is_prospect"],
    )
    status = forms.ModelChoiceField(
        label=_("prospect status"),
        queryset=PartnerStatus.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("Choose a status of the list.")},
    )
    contact_choice = forms.ChoiceField(
        label=_("Conversion of the lead into a contact"),
        choices=[
            (convert.CONTACT_NONE, _("No contact")),
            (convert.CONTACT_NEW, _("Create a new contact")),
            (convert.CONTACT_EXISTING, _("Select existing contacts")),
        ],
        widget=forms.RadioSelect,
        initial=convert.CONTACT_NEW,
    )
    contacts = IdsChoiceField(
        label=_("existing contacts"), queryset=Contact.objects.none(), required=False
    )

    def __init__(
        self,
        *args: Any,
        partners: Any,
        contacts: Any,
        statuses: list[PartnerStatus] | None,
        matched_partners: list[Partner],
        matched_contacts: list[Contact],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        partner_field = self.fields["partner"]
        assert isinstance(partner_field, forms.ModelChoiceField)
        partner_field.queryset = partners
        chosen = str(self.data.get(self.add_prefix("partner")) or self.initial.get("partner") or "")
        offered = {p.pk: str(p) for p in matched_partners}
        if is_id(chosen) and int(chosen) not in offered:
            for p in partners.filter(pk=int(chosen)):
                offered[p.pk] = str(p)
        searchable(
            partner_field,
            f"{reverse('partners:organisation_choices')}?all=1",
            [("", "—"), *offered.items()],
        )
        contacts_field = self.fields["contacts"]
        assert isinstance(contacts_field, forms.ModelMultipleChoiceField)
        contacts_field.queryset = contacts
        offered_contacts = {c.pk: contact_label(c) for c in matched_contacts}
        wanted = [
            int(pk)
            for pk in [
                *posted_list(self.data, self.add_prefix("contacts")),
                *(self.initial.get("contacts") or []),
            ]
            if is_id(str(pk)) and int(pk) not in offered_contacts
        ]
        if wanted:
            for c in contacts.select_related("main_partner").filter(pk__in=wanted):
                offered_contacts[c.pk] = contact_label(c)
        searchable(contacts_field, reverse("partners:contact_choices"), offered_contacts.items())
        if statuses is None:
            del self.fields["status"]
        else:
            status_field = self.fields["status"]
            assert isinstance(status_field, forms.ModelChoiceField)
            status_field.queryset = PartnerStatus.objects.filter(pk__in=[s.pk for s in statuses])
            status_field.required = True
            status_field.error_messages["required"] = _("Choose the prospect status.")
            status_field.widget.choices = [("", "—"), *((s.pk, s.name) for s in statuses)]
            default = next((s for s in statuses if s.role == PartnerStatus.Role.DEFAULT), None)
            if default is not None:
                self.initial.setdefault("status", default.pk)
        style_form(self)
        for name in ("partner_choice", "contact_choice"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        self.fields["types"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("partner_choice") == convert.PARTNER_EXISTING and not cleaned.get("partner"):
            self.add_error("partner", _("Choose the partner."))
        if cleaned.get("partner_choice") == convert.PARTNER_NEW and not cleaned.get("types"):
            self.add_error("types", _("Choose at least one type: prospect, customer…"))
        if cleaned.get("contact_choice") == convert.CONTACT_EXISTING and not cleaned.get(
            "contacts"
        ):
            self.add_error("contacts", _("Choose at least one contact."))
        return cleaned

    def type_flags(self) -> dict[str, bool]:
        chosen = set(self.cleaned_data.get("types") or [])
        return {value: value in chosen for value, _label in TYPE_CHOICES}
