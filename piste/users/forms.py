from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _

from piste.core.rights import Role, Scope
from piste.users import throttle
from piste.users.models import Agency, Company, CrmSettings, Team, User

# "The role's scope" stores no override: the membership follows its role's default scope.
SCOPE_CHOICES = [("", _("The role's scope")), *Scope.choices]


class BootstrapMixin:
    fields: dict[str, forms.Field]  # the form's, which this mixin styles

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class SignInForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-ins. Wait %(minutes)d minutes, or reset your password."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict[str, Any]:
        from django.conf import settings

        username = self.data.get("username", "")
        request = self.request
        # LoginView always passes the request; the throttle counts per client address.
        assert request is not None
        if throttle.is_locked(request, username):
            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(request, username)
            raise
        throttle.reset(request, username)
        return cleaned


class StyledPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class StyledSetPasswordForm(BootstrapMixin, SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class StyledPasswordResetForm(BootstrapMixin, PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ProfileForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "language",
            "active_company",
            "active_team",
            "active_agency",
        ]

    def __init__(self, *args: Any, agencies_enabled: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user: User = self.instance
        self.fields["email"].required = True
        active_company = cast(forms.ModelChoiceField, self.fields["active_company"])
        active_company.queryset = Company.objects.filter(
            memberships__user=user, memberships__is_active=True
        )
        active_company.required = True
        # Without an active company there are no teams or agencies to pick (company_id=None
        # would match no row either).
        company_id = user.active_company_id
        active_team = cast(forms.ModelChoiceField, self.fields["active_team"])
        active_team.queryset = (
            Team.objects.filter(company_id=company_id)
            if company_id is not None
            else Team.objects.none()
        )
        if agencies_enabled:
            active_agency = cast(forms.ModelChoiceField, self.fields["active_agency"])
            active_agency.queryset = (
                Agency.objects.filter(company_id=company_id)
                if company_id is not None
                else Agency.objects.none()
            )
        else:
            del self.fields["active_agency"]
        self._style()

    def _post_clean(self) -> None:
        pass  # the service validates the whole change


class InviteForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    first_name = forms.CharField(label=_("first name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("email address"))
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    scope = forms.ChoiceField(
        label=_("record scope"),
        choices=SCOPE_CHOICES,
        required=False,
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = cast(forms.ModelMultipleChoiceField, self.fields["teams"])
        teams.queryset = Team.objects.filter(company_id=company_id)
        self._style()


class MembershipForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    scope = forms.ChoiceField(
        label=_("record scope"),
        choices=SCOPE_CHOICES,
        required=False,
    )
    is_active = forms.BooleanField(label=_("active"), required=False)
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = cast(forms.ModelMultipleChoiceField, self.fields["teams"])
        teams.queryset = Team.objects.filter(company_id=company_id)
        self._style()


class CompanyForm(BootstrapMixin, forms.ModelForm):
    # Wider than the column: typed as printed ("123 456 789"), clean_siren keeps the 9 digits.
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False)

    class Meta:
        model = Company
        fields = ["name", "legal_form", "siren"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_siren(self) -> str:
        siren = "".join(self.cleaned_data["siren"].split())
        if siren and (not (siren.isascii() and siren.isdigit()) or len(siren) != 9):
            raise forms.ValidationError(_("A SIREN has 9 digits."))
        return siren

    def _post_clean(self) -> None:
        pass  # the service checks the unique name


class CrmSettingsForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = CrmSettings
        fields = [
            "agencies_enabled",
            "manage_prospect_statuses",
            "ignored_email_domains",
            "duplicate_scan",
            "document_max_mb",
            "document_extensions",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self._style()

    def clean_document_extensions(self) -> str:
        # One list of lower-case extensions without dots, whatever the administrator typed.
        words = self.cleaned_data["document_extensions"].replace(",", " ").split()
        # In the order typed, once each (dict keeps the first occurrence).
        extensions = list(dict.fromkeys(w.lstrip(".").lower() for w in words if w.strip(".")))
        bad = [e for e in extensions if not e.isalnum() or len(e) > 10]
        if bad:
            raise forms.ValidationError(
                _("Not a file extension: %(values)s.") % {"values": ", ".join(bad)}
            )
        return " ".join(extensions)

    def clean_ignored_email_domains(self) -> str:
        lines = self.cleaned_data["ignored_email_domains"].replace(",", "\n").splitlines()
        domains = []
        for line in lines:
            domain = line.strip().lower().lstrip("@")
            if not domain:
                continue
            if " " in domain or "." not in domain:
                raise forms.ValidationError(
                    _("“%(domain)s” is not a domain name such as gmail.com.") % {"domain": domain}
                )
            if domain not in domains:
                domains.append(domain)
        return "\n".join(domains)

    def _post_clean(self) -> None:
        pass  # the service compares, versions and saves the change
