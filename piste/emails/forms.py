"""Forms of the emails app: compose an email from a record, and the configuration's accounts
and templates."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.forms import company_users, style_form
from piste.core.html import MAX_HTML_LENGTH
from piste.core.placeholders import PlaceholderError, check_placeholders, render_placeholders
from piste.core.text import is_id
from piste.emails.models import EmailAccount, EmailTemplate, Language
from piste.emails.services import MAX_RECIPIENTS

_SEPARATORS = re.compile(r"[,;\s]+")


def _addresses(value: str) -> list[str]:
    """Addresses separated by commas, semicolons or spaces, each checked, no duplicates."""
    found: list[str] = []
    for part in _SEPARATORS.split(value or ""):
        address = part.strip().strip("<>")
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(
                _("“%(address)s” is not a valid email address.") % {"address": address[:100]}
            ) from exc
        if address.lower() not in {a.lower() for a in found}:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise ValidationError(_("Write to at most %(count)d people.") % {"count": MAX_RECIPIENTS})
    return found


class TemplateChoiceField(forms.ModelChoiceField):
    """A template of the company; text that is not an id is refused before any query."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_language_display()})"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once (checked one by one by the service: size, type)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ComposeForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    template = TemplateChoiceField(
        label=_("Template"), queryset=EmailTemplate.objects.none(), required=False
    )
    to = forms.CharField(
        label=_("To"),
        max_length=4000,
        help_text=_("Several addresses: separate them with commas."),
    )
    cc = forms.CharField(label=_("Cc"), max_length=4000, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_HTML_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12, "data-rich-text": "1"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, company_id: int, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, TemplateChoiceField)
        field.queryset = EmailTemplate.objects.filter(company_id=company_id, kind=kind).order_by(
            "language", "name", "id"
        )
        field.empty_label = _("No template")
        style_form(self)
        self.fields["template"].widget.attrs["data-apply-template"] = "1"
        self.fields["language"].widget.attrs["data-apply-template"] = "1"

    def clean_to(self) -> list[str]:
        found = _addresses(self.cleaned_data["to"])
        if not found:
            raise ValidationError(_("Enter at least one recipient."))
        return found

    def clean_cc(self) -> list[str]:
        return _addresses(self.cleaned_data.get("cc", ""))

    def clean_subject(self) -> str:
        subject = " ".join(self.cleaned_data["subject"].split())
        if not subject:
            raise ValidationError(_("Enter a subject."))
        return subject


# Configuration ----------------------------------------------------------------------------------


class EmailAccountForm(forms.ModelForm):
    # Never shown back: empty keeps the stored password.
    password = forms.CharField(
        label=_("Password"),
        required=False,
        # Stored encrypted (about twice as long) in a 500-character column.
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = EmailAccount
        fields = (
            "name", "from_address", "from_name", "host", "port", "security", "username",
            "password", "timeout", "user", "is_default", "is_active",
        )  # fmt: skip

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's bounds (the form skips the model's own validation: the service saves).
        for name in ("port", "timeout"):
            model_field = EmailAccount._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            self.fields[name].validators.extend(model_field.validators)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = company_users(company_id)
        user_field.empty_label = _("Whole company")
        if self.instance.pk and self.instance.password:
            self.fields["password"].help_text = _("A password is stored: leave empty to keep it.")
        style_form(self)

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip()
        if not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", host):
            raise ValidationError(_("Enter a server name such as smtp.example.com."))
        return host

    def _post_clean(self) -> None:
        # The service checks the row (company, single default).
        pass


class AccountTestForm(forms.Form):
    to = forms.EmailField(label=_("Send a test email to"), max_length=254)


class EmailTemplateForm(forms.ModelForm):
    body = forms.CharField(
        label=_("Body"),
        max_length=MAX_HTML_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14, "data-rich-text": "1"}),
    )

    class Meta:
        model = EmailTemplate
        fields = ("name", "kind", "language", "subject", "body", "is_default")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_form(self)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter a name."))
        return name

    def _check(self, name: str) -> str:
        source: str = self.cleaned_data[name]
        try:
            check_placeholders(source)
            # A trial render without values: what only fails when rendering (an include)
            # is caught now rather than when someone writes an email.
            render_placeholders(source, {})
        except PlaceholderError as exc:
            raise ValidationError(str(exc)) from exc
        return source

    def clean_subject(self) -> str:
        return " ".join(self._check("subject").split())

    def clean_body(self) -> str:
        return self._check("body")

    def _post_clean(self) -> None:
        pass
