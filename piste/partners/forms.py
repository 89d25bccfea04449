"""The partner and contact forms (create, and edit in the record page's left column).

The forms check what a user can fix next to a field; the services (``piste.partners.services``)
validate again and decide, and ``add_service_errors`` puts their refusals next to the same fields.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from piste.core.access import Actor
from piste.core.contact import email_normalise, phone_display, phone_normalise, website_normalise
from piste.core.forms import (
    VersionedForm,
    assignee_choices,
    company_choices,
    phone_field,
    posted_list,
    scoring_choices,
    searchable,
    style_form,
    tag_picker,
)
from piste.core.html import MAX_HTML_LENGTH
from piste.core.images import ALLOWED_FORMATS, MAX_UPLOAD_BYTES
from piste.core.rights import Right
from piste.core.selectors import CHOICES, bounded_choices
from piste.leads.models import LeadSource
from piste.partners import identifiers
from piste.partners.models import (
    Contact,
    Department,
    IndustrySector,
    JobTitle,
    Partner,
    PartnerCategory,
)
from piste.partners.services import CONTACT_FIELDS, PARTNER_FIELDS
from piste.users.models import Agency, Team
from piste.users.selectors import agencies_enabled

LOGO_ACCEPT = ",".join(f"image/{f.lower()}" for f in sorted(ALLOWED_FORMATS))

_PARTNER_CHOICES: dict[str, Any] = {
    "category": PartnerCategory,
    "industry_sector": IndustrySector,
    "team": Team,
    "agency": Agency,
    "source": LeadSource,
}
_CONTACT_CHOICES: dict[str, Any] = {
    "job_title": JobTitle,
    "department": Department,
    "team": Team,
    "agency": Agency,
}


def _rich_text() -> forms.CharField:
    # Rich text from the Trix editor; the service sanitises it.
    return forms.CharField(
        label=_("description"),
        max_length=MAX_HTML_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "data-rich-text": ""}),
    )


def _email() -> forms.CharField:
    return forms.CharField(
        label=_("email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )


class _RecordForm(VersionedForm, forms.ModelForm):
    """What partner and contact forms share: company choices, tags, assignee, version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    choices: dict[str, Any] = {}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        company_id = actor.company.pk
        self.is_new = self.instance.pk is None
        company_choices(self, self.choices, company_id)
        assignee_choices(
            cast(forms.ModelChoiceField, self.fields["assigned_to"]),
            company_id,
            getattr(self.instance, "assigned_to_id", None),
        )
        tag_picker(self, company_id)
        self.fields["tags"].widget.attrs["size"] = 5
        if not agencies_enabled(actor.company):
            del self.fields["agency"]
        if self.is_new:
            del self.fields["version"]
            user = actor.user
            self.initial.setdefault("assigned_to", user.pk)
            self.initial.setdefault("team", user.active_team_id)
        else:
            self.fields["version"].initial = self.instance.version
            for name in ("fixed_phone", "mobile_phone"):
                self.initial[name] = phone_display(getattr(self.instance, name))

    def clean_fixed_phone(self) -> str:
        return phone_normalise(self.cleaned_data.get("fixed_phone"))

    def clean_mobile_phone(self) -> str:
        return phone_normalise(self.cleaned_data.get("mobile_phone"))

    def clean_email(self) -> str:
        return email_normalise(self.cleaned_data.get("email"))

    def _post_clean(self) -> None:
        # The service validates and saves: the record in memory keeps its saved values, which
        # the service compares with the new ones for the timeline.
        pass

    def _values(self, names: list[str]) -> dict[str, Any]:
        data = {n: self.cleaned_data[n] for n in names if n in self.fields}
        assignee = data.get("assigned_to")
        if not self.is_new and assignee is not None and assignee.pk == self.instance.assigned_to_id:
            del data["assigned_to"]  # unchanged (possibly a user who left): not re-checked
        return data


class PartnerForm(_RecordForm):
    fixed_phone = phone_field(_("fixed phone"))
    mobile_phone = phone_field(_("mobile phone"))
    email = _email()
    website = forms.CharField(
        label=_("website"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "www.example.com"}),
    )
    description = _rich_text()
    scoring = forms.TypedChoiceField(
        label=_("lead scoring"),
        choices=scoring_choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)
    siret = forms.CharField(label=_("SIRET"), max_length=24, required=False)
    vat_number = forms.CharField(label=_("intra-EU VAT number"), max_length=24, required=False)
    ape_code = forms.CharField(label=_("APE code"), max_length=10, required=False)
    logo = forms.FileField(
        label=_("logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": LOGO_ACCEPT}),
        help_text=_("PNG, JPEG, GIF or WebP, 5 MB at most; resized to 256 pixels."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    choices = _PARTNER_CHOICES

    class Meta:
        model = Partner
        fields = [*PARTNER_FIELDS, "tags"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off"}),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        partner: Partner = self.instance
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parents = Partner.objects.filter(company_id=actor.company.pk, partner_type="organisation")
        if partner.pk:
            parents = parents.exclude(pk=partner.pk)
        parent.queryset = parents
        # Any organisation of the company is accepted; the list offers the chosen one and the
        # first ones, and searches the others.
        chosen = [*posted_list(self.data, self.add_prefix("parent")), partner.parent_id]
        offered = bounded_choices(
            parents.only("id", "full_name", "name", "name_key"),
            chosen=[c for c in chosen if c],
            limit=CHOICES,
        )
        url = reverse("partners:organisation_choices")
        if partner.pk:
            url += f"?exclude={partner.pk}"
        searchable(parent, url, [("", "---------"), *((p.pk, str(p)) for p in offered)])
        if not actor.has(Right.CREATE_CUSTOMERS) and not partner.is_customer:
            # « Customers are created only by users with the right; others never see that option. »
            del self.fields["is_customer"]
        if self.is_new:
            del self.fields["remove_logo"]
            self.initial.setdefault("is_prospect", True)
        style_form(self)
        self.fields["logo"].widget.attrs["class"] = "form-control"

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        if not name:
            raise ValidationError(_("Enter the name."), code="required")
        return name

    def clean_website(self) -> str:
        return website_normalise(self.cleaned_data.get("website"))

    def clean_siren(self) -> str:
        return identifiers.siren_clean(self.cleaned_data.get("siren") or "")

    def clean_siret(self) -> str:
        return identifiers.siret_clean(self.cleaned_data.get("siret") or "")

    def clean_vat_number(self) -> str:
        return identifiers.vat_clean(self.cleaned_data.get("vat_number") or "")

    def clean_ape_code(self) -> str:
        return identifiers.ape_clean(self.cleaned_data.get("ape_code") or "")

    def clean_logo(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("logo")
        if upload and upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The image is larger than 5 MB."), code="image_size")
        return upload or None

    def partner_data(self) -> dict[str, Any]:
        return self._values(PARTNER_FIELDS)

    def logo_value(self) -> UploadedFile | bool | None:
        upload = self.cleaned_data.get("logo")
        if upload:
            return cast(UploadedFile, upload)
        if self.cleaned_data.get("remove_logo"):
            return False
        return None


class ContactForm(_RecordForm):
    fixed_phone = phone_field(_("direct line"))
    mobile_phone = phone_field(_("mobile phone"))
    email = _email()
    description = _rich_text()
    choices = _CONTACT_CHOICES

    class Meta:
        model = Contact
        fields = [*CONTACT_FIELDS, "tags"]
        widgets = {"last_name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        style_form(self)

    def clean_last_name(self) -> str:
        name = " ".join((self.cleaned_data.get("last_name") or "").split())
        if not name:
            raise ValidationError(_("Enter the last name."), code="required")
        return name

    def contact_data(self) -> dict[str, Any]:
        return self._values(CONTACT_FIELDS)
