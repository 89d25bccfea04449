"""Configuration → Emails: the SMTP accounts emails leave by (with a test send) and the email
templates, for the administrators (Manage the configuration)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import require_right, right_required
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.placeholders import record_placeholders
from piste.core.rights import Right
from piste.emails import selectors, services
from piste.emails.forms import AccountTestForm, EmailAccountForm, EmailTemplateForm
from piste.emails.models import TemplateKind

config_required = right_required(Right.MANAGE_CONFIGURATION)


@login_required
@config_required
@require_GET
def accounts(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(selectors.accounts_for_config(request.user))
    return render(request, "emails/config_accounts.html", {"rows": rows})


@login_required
@config_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    account = selectors.account_get_for_config(request.user, pk) if pk is not None else None
    form = EmailAccountForm(posted(request), instance=account, company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.email_account_save(
                actor=actor, data=form.cleaned_data, account=account
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The email account is saved."))
            return redirect("email_config:account_edit", saved.pk)
    context = {
        "form": form,
        "object": account,
        "test_form": AccountTestForm(initial={"to": request.user.email}),
    }
    return render(request, "emails/config_account_form.html", context)


@login_required
@config_required
@require_POST
def account_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    account = selectors.account_get_for_config(request.user, pk)
    services.email_account_delete(actor=actor, account=account)
    messages.success(request, _("The email account is deleted."))
    return redirect("email_config:accounts")


@login_required
@config_required
@require_POST
def account_test(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Send a test email through the account now and say what the server answered."""
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    account = selectors.account_get_for_config(request.user, pk)
    form = AccountTestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("email_config:account_edit", account.pk)
    try:
        services.email_account_test(actor=actor, account=account, to=form.cleaned_data["to"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("A test email was sent to %(to)s.") % {"to": form.cleaned_data["to"]},
        )
    return redirect("email_config:account_edit", account.pk)


@login_required
@config_required
@require_GET
def templates(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(selectors.templates_for_config(request.user))
    return render(request, "emails/config_templates.html", {"rows": rows})


def _placeholders() -> list[dict[str, Any]]:
    return [
        {"kind": kind, "label": label, "rows": record_placeholders(kind)}
        for kind, label in TemplateKind.choices
    ]


@login_required
@config_required
@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    template = selectors.template_get_for_config(request.user, pk) if pk is not None else None
    form = EmailTemplateForm(posted(request), instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.email_template_save(
                actor=actor, data=form.cleaned_data, template=template
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The email template is saved."))
            return redirect("email_config:template_edit", saved.pk)
    context = {"form": form, "object": template, "placeholders": _placeholders()}
    return render(request, "emails/config_template_form.html", context)


@login_required
@config_required
@require_POST
def template_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    template = selectors.template_get_for_config(request.user, pk)
    services.email_template_delete(actor=actor, template=template)
    messages.success(request, _("The email template is deleted."))
    return redirect("email_config:templates")
