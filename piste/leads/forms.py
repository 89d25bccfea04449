"""Forms of one lead's pages: the lead form (create and edit), the lose form, the inline job title.

The forms check what a user can fix next to a field (a phone, an email, a choice); the services
(``piste.leads.services``) validate again and decide, and ``add_service_errors`` puts what they
refuse next to the same fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from piste.core.access import Actor
from piste.core.contact import (
    email_normalise,
    phone_display,
    phone_normalise,
    website_normalise,
)
from piste.core.forms import (
    VersionedForm,
    assignee_choices,
    company_choices,
    phone_field,
    scoring_choices,
    style_form,
    tag_picker,
)
from piste.core.html import MAX_HTML_LENGTH
from piste.core.images import ALLOWED_FORMATS, MAX_UPLOAD_BYTES
from piste.core.models import Tag
from piste.leads.models import Lead, LeadSource, LostReason
from piste.leads.services import FORM_FIELDS
from piste.partners.models import Department, IndustrySector, JobTitle, PartnerCategory
from piste.users.models import Agency, Team
from piste.users.selectors import agencies_enabled

if TYPE_CHECKING:
    pass

# The relations of the form, each limited to the actor's company.
_COMPANY_CHOICES: dict[str, Any] = {
    "job_title": JobTitle,
    "industry_sector": IndustrySector,
    "department": Department,
    "team": Team,
    "agency": Agency,
    "source": LeadSource,
    "category": PartnerCategory,
}
LOGO_ACCEPT = ",".join(f"image/{f.lower()}" for f in sorted(ALLOWED_FORMATS))


class LeadForm(VersionedForm, forms.ModelForm):
    """Every field a user edits on a lead, in the sections of ``templates/leads/form.html``.

    ``version`` (edit only) is the lead's version when the form was opened: the service refuses
    the save if someone saved meanwhile. ``logo`` and ``remove_logo`` give the service a new
    logo, False (remove it) or None (keep it).
    """

    fixed_phone = phone_field(_("fixed phone"))
    mobile_phone = phone_field(_("mobile phone"))
    # Plain text fields: the contact helpers validate and normalise, with their own messages.
    email = forms.CharField(
        label=_("email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}),
    )
    website = forms.CharField(
        label=_("website"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "www.example.com"}),
    )
    # Rich text from the Trix editor (lead_form.js turns the textarea into one); the service
    # sanitises it.
    description = forms.CharField(
        label=_("description"),
        max_length=MAX_HTML_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-rich-text": ""}),
    )
    scoring = forms.TypedChoiceField(
        label=_("lead scoring"),
        choices=scoring_choices,
        coerce=int,
        empty_value=None,  # the service counts no choice as 0 stars
        required=False,
        widget=forms.RadioSelect,
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("tags"), queryset=Tag.objects.none(), required=False
    )
    logo = forms.FileField(
        label=_("company logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": LOGO_ACCEPT}),
        help_text=_("PNG, JPEG, GIF or WebP, 5 MB at most; resized to 256 pixels."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Lead
        fields = [*FORM_FIELDS, "tags"]
        widgets = {"last_name": forms.TextInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        lead: Lead = self.instance
        company_id = actor.company.pk
        self.agencies_enabled = agencies_enabled(actor.company)
        self.is_new = lead.pk is None
        company_choices(self, _COMPANY_CHOICES, company_id)
        # A user who left the company stays shown on their leads (the view does not send an
        # unchanged assignee to the service, which accepts only active members).
        assignee_choices(
            cast(forms.ModelChoiceField, self.fields["assigned_to"]),
            company_id,
            lead.assigned_to_id,
        )
        tag_picker(self, company_id)
        self.fields["tags"].widget.attrs["size"] = 6
        if not self.agencies_enabled:
            del self.fields["agency"]
        if self.is_new:
            del self.fields["version"]
            del self.fields["remove_logo"]
            # What the service would choose, shown so the user sees (and may change) it.
            user = actor.user
            self.initial.setdefault("assigned_to", user.pk)
            self.initial.setdefault("team", user.active_team_id)
            if self.agencies_enabled:
                self.initial.setdefault("agency", user.active_agency_id)
        else:
            self.fields["version"].initial = lead.version
            for name in ("fixed_phone", "mobile_phone"):
                self.initial[name] = phone_display(getattr(lead, name))
        style_form(self)
        self.fields["logo"].widget.attrs["class"] = "form-control"

    # Field checks with the same helpers as the service, so the message sits by the field.

    def clean_fixed_phone(self) -> str:
        return phone_normalise(self.cleaned_data.get("fixed_phone"))

    def clean_mobile_phone(self) -> str:
        return phone_normalise(self.cleaned_data.get("mobile_phone"))

    def clean_email(self) -> str:
        return email_normalise(self.cleaned_data.get("email"))

    def clean_website(self) -> str:
        return website_normalise(self.cleaned_data.get("website"))

    def clean_last_name(self) -> str:
        name = " ".join((self.cleaned_data.get("last_name") or "").split())
        if not name:
            raise ValidationError(_("Enter the last name."), code="required")
        return name

    def clean_logo(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("logo")
        if upload and upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            # Refused before any decoding; the service checks the pixels themselves.
            raise ValidationError(_("The image is larger than 5 MB."), code="image_size")
        return upload or None

    def _post_clean(self) -> None:
        # The service validates and saves: the lead in memory must keep its saved values, which
        # the service compares with the new ones for the timeline.
        pass

    # What the view hands to the service.

    def lead_data(self) -> dict[str, Any]:
        data = {n: self.cleaned_data[n] for n in FORM_FIELDS if n in self.fields}
        lead: Lead = self.instance
        assignee = data.get("assigned_to")
        if not self.is_new and assignee is not None and assignee.pk == lead.assigned_to_id:
            del data["assigned_to"]  # unchanged: see __init__
        return data

    def logo_value(self) -> UploadedFile | Literal[False] | None:
        upload = self.cleaned_data.get("logo")
        if upload:
            return cast(UploadedFile, upload)
        if self.cleaned_data.get("remove_logo"):
            return False
        return None


class _ReasonSelect(forms.Select):
    """Options say whether their reason asks for a comment (lead_form.js shows the field)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        reason = getattr(option["value"], "instance", None)
        if isinstance(reason, LostReason) and reason.comment_required:
            option["attrs"]["data-comment-required"] = "true"
        return option


class LoseForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("lost reason"),
        queryset=LostReason.objects.none(),
        widget=_ReasonSelect(attrs={"data-lost-reason": ""}),
        error_messages={"required": _("Choose a lost reason.")},
    )
    comment = forms.CharField(
        label=_("comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = cast(forms.ModelChoiceField, self.fields["reason"])
        reason.queryset = LostReason.objects.filter(company_id=company_id)
        style_form(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = cleaned.get("reason")
        if reason is not None and reason.comment_required and not cleaned.get("comment"):
            self.add_error("comment", _("This reason asks for a comment."))
        return cleaned


class JobTitleForm(forms.Form):
    name = forms.CharField(label=_("job title"), max_length=120)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter a name."), code="required")
        return name
