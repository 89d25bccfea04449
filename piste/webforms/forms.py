"""The administrator's form that builds a web form, and the visitor's form built from it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from piste.core.contact import normalise_contact_details
from piste.core.forms import company_users, style_form
from piste.core.people import Civility
from piste.leads.models import LeadSource
from piste.users.models import Team, User
from piste.webforms.fields import (
    ALWAYS_REQUIRED,
    FIELDS,
    HONEYPOT,
    MAX_CONSENT_TEXT,
    MAX_CONSENTS,
    MAX_LABEL,
    SPECS,
)
from piste.webforms.models import WebForm
from piste.webforms.origins import origins_clean

# The whole posted body of the visitor's form: its largest field (the message) and room for the
# others. More is refused before any parsing.
MAX_BODY_BYTES = 64 * 1024


class WebFormConfigForm(forms.Form):
    """One row per field of the safe list (ask it? required? label) and one per consent."""

    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Title shown"), max_length=200, required=False)
    submit_label = forms.CharField(
        label=_("Button label"), max_length=60, required=False, help_text=_("“Send” when empty.")
    )
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=LeadSource.objects.none(), required=False
    )
    assigned_to = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    thank_you_message = forms.CharField(
        label=_("Thank-you message"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown after sending, unless a redirect address is given."),
    )
    redirect_url = forms.URLField(
        label=_("Redirect address"),
        max_length=500,
        required=False,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("The page of your site visitors go to after sending (https://…)."),
    )
    allowed_origins = forms.CharField(
        label=_("Allowed sites"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One site a line, such as https://www.example.fr: only these sites may show the "
            "form and post it."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, company_id: int, instance: WebForm | None = None, **kw: Any):
        if instance is not None and (not args or args[0] is None):
            kw.setdefault("initial", initial_for(instance))
        super().__init__(*args, **kw)
        # Choices of the administrator's company only.
        for name, queryset in (
            ("source", LeadSource.objects.filter(company_id=company_id)),
            ("assigned_to", company_users(company_id)),
            ("team", Team.objects.filter(company_id=company_id)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        for spec in FIELDS:
            always = spec.key == ALWAYS_REQUIRED
            self.fields[f"ask_{spec.key}"] = forms.BooleanField(
                label=spec.label, required=False, disabled=always, initial=always
            )
            self.fields[f"required_{spec.key}"] = forms.BooleanField(
                label=_("Required"), required=False, disabled=always, initial=always
            )
            self.fields[f"label_{spec.key}"] = forms.CharField(
                label=_("Label"), max_length=MAX_LABEL, required=False
            )
            self.fields[f"label_{spec.key}"].widget.attrs["placeholder"] = str(spec.label)
        for index in range(1, MAX_CONSENTS + 1):
            self.fields[f"consent_text_{index}"] = forms.CharField(
                label=_("Consent %(number)d") % {"number": index},
                max_length=MAX_CONSENT_TEXT,
                required=False,
            )
            self.fields[f"consent_required_{index}"] = forms.BooleanField(
                label=_("Required"), required=False
            )
        style_form(self)

    @property
    def field_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "spec": spec,
                "ask": self[f"ask_{spec.key}"],
                "required": self[f"required_{spec.key}"],
                "label": self[f"label_{spec.key}"],
            }
            for spec in FIELDS
        ]

    @property
    def consent_rows(self) -> list[dict[str, Any]]:
        return [
            {"text": self[f"consent_text_{i}"], "required": self[f"consent_required_{i}"]}
            for i in range(1, MAX_CONSENTS + 1)
        ]

    def clean_allowed_origins(self) -> list[str]:
        return origins_clean(self.cleaned_data.get("allowed_origins", ""))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["fields"] = [
            {
                "key": spec.key,
                "label": " ".join((data.get(f"label_{spec.key}") or "").split()),
                "required": spec.key == ALWAYS_REQUIRED or bool(data.get(f"required_{spec.key}")),
            }
            for spec in FIELDS
            if spec.key == ALWAYS_REQUIRED or data.get(f"ask_{spec.key}")
        ]
        data["consents"] = [
            {
                "key": f"c{i}",
                "text": " ".join(data[f"consent_text_{i}"].split()),
                "required": bool(data.get(f"consent_required_{i}")),
            }
            for i in range(1, MAX_CONSENTS + 1)
            if (data.get(f"consent_text_{i}") or "").strip()
        ]
        return data


def initial_for(webform: WebForm) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": webform.name,
        "title": webform.title,
        "submit_label": webform.submit_label,
        "source": webform.source_id,
        "assigned_to": webform.assigned_to_id,
        "team": webform.team_id,
        "thank_you_message": webform.thank_you_message,
        "redirect_url": webform.redirect_url,
        "allowed_origins": "\n".join(webform.allowed_origins or []),
        "is_active": webform.is_active,
    }
    for field in webform.fields or []:
        initial[f"ask_{field['key']}"] = True
        initial[f"required_{field['key']}"] = field.get("required", False)
        initial[f"label_{field['key']}"] = field.get("label", "")
    for index, consent in enumerate(webform.consents or [], start=1):
        initial[f"consent_text_{index}"] = consent.get("text", "")
        initial[f"consent_required_{index}"] = consent.get("required", False)
    return initial


# The visitor's form ----------------------------------------------------------------------------


def _field(spec_key: str, label: str, required: bool) -> forms.Field:
    spec = SPECS[spec_key]
    common: dict[str, Any] = {"label": label, "required": required}
    if spec.kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *Civility.choices], **common)
    widget: forms.Widget
    if spec.kind == "textarea":
        widget = forms.Textarea(attrs={"rows": 5})
    elif spec.kind == "email":
        widget = forms.EmailInput(attrs={"autocomplete": "email"})
    elif spec.kind == "tel":
        widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    elif spec.kind == "url":
        widget = forms.TextInput(attrs={"type": "url", "autocomplete": "url"})
    else:
        widget = forms.TextInput()
    # Browsers and robots may send more: the limit is checked here, never trusted to the page.
    widget.attrs["maxlength"] = spec.max_length
    return forms.CharField(max_length=spec.max_length, widget=widget, **common)


class PublicForm(forms.Form):
    """The fields the web form asks, its consents, and the honeypot."""

    def __init__(self, *args: Any, webform: WebForm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.webform = webform
        for field in webform.fields:
            if field.get("key") not in SPECS:
                continue
            label = field.get("label") or str(SPECS[field["key"]].label)
            self.fields[field["key"]] = _field(field["key"], label, bool(field.get("required")))
        for consent in webform.consents:
            self.fields[f"consent_{consent['key']}"] = forms.BooleanField(
                label=consent["text"],
                required=bool(consent.get("required")),
                error_messages={"required": _("Tick this box to send the form.")},
            )
        self.fields[HONEYPOT] = forms.CharField(required=False, max_length=200)
        self.fields[HONEYPOT].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        style_form(self)

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())

    @property
    def visible_rows(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != HONEYPOT]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # The same checks as the lead form's (phone, email, website): their messages go next to
        # the field here rather than failing the lead's creation later.
        contact = ("fixed_phone", "mobile_phone", "email", "website")
        values = {k: data[k] for k in contact if k in data}
        errors: dict[str, Any] = {}
        normalise_contact_details(values, errors)
        for name, messages in errors.items():
            self.add_error(name, messages)
        data.update({k: v for k, v in values.items() if k not in errors})
        for name in SPECS:
            if isinstance(data.get(name), str):
                text = data[name]
                data[name] = text.strip() if name == "message" else " ".join(text.split())
        # "   " passes the required check but is no name.
        last = ALWAYS_REQUIRED
        if last in self.fields and not data.get(last) and last not in self.errors:
            self.add_error(ALWAYS_REQUIRED, ValidationError(_("This field is required.")))
        return data

    def values(self) -> dict[str, str]:
        """What the visitor typed, for the lead and the submission record (asked fields only)."""
        return {name: self.cleaned_data.get(name) or "" for name in self.fields if name in SPECS}

    def consents_given(self) -> dict[str, dict[str, Any]]:
        return {
            consent["key"]: {
                "text": consent["text"],
                "given": bool(self.cleaned_data.get(f"consent_{consent['key']}")),
            }
            for consent in self.webform.consents
        }
