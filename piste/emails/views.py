"""Emails from a record: its Email tab, the compose page (templates filled for the record,
attachments), an email's page with its attachments, "Sent emails" and the retry of a failed
one. Sending itself happens in the job queue (piste.emails.tasks)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import Actor, company_required, get_or_404, require_actor, require_right
from piste.core.forms import add_service_errors
from piste.core.http import AuthedHttpRequest
from piste.core.placeholders import PlaceholderError
from piste.core.records import kind_of, record_get_for_user, record_url
from piste.core.rights import Right
from piste.core.text import is_id
from piste.emails import selectors, services
from piste.emails.forms import ComposeForm
from piste.emails.models import Email, EmailTemplate, Language, TemplateKind


def _record(request: AuthedHttpRequest, kind: str, pk: Any) -> models.Model:
    if kind not in TemplateKind.values:
        raise Http404(_("Emails are written from a lead, an account, a contact or an opportunity."))
    return record_get_for_user(request.user, kind, pk)


@login_required
@company_required
@require_GET
def record_emails(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """The record's Email tab: its emails, newest first (``?cursor=`` pages), and the button
    that writes one. The tab loads the pane; a plain GET shows it as a page."""
    actor = require_actor(request.user)
    record = _record(request, kind, pk)
    context = {
        "kind": kind,
        "kind_label": kind_of(record).label,
        "record": record,
        "record_url": record_url(record),
        "page": selectors.record_emails_page(record, request.GET.get("cursor")),
        "can_write": actor.has(Right.CREATE_RECORDS),
        "refusal": services.email_refusal(record),
    }
    if request.htmx:
        return render(request, "emails/record_emails.html#pane", context)
    return render(request, "emails/record_emails.html", context)


def _language(value: Any) -> str:
    if value in Language.values:
        return str(value)
    current = (get_language() or "fr")[:2]
    return current if current in Language.values else Language.FR


def _template(form: ComposeForm, value: Any) -> EmailTemplate | None:
    if not is_id(value):
        return None
    field = form.fields["template"]
    queryset = getattr(field, "queryset", EmailTemplate.objects.none())
    return queryset.filter(pk=int(value)).first()


def _filled(
    actor: Actor, record: models.Model, template: EmailTemplate
) -> tuple[dict[str, str], str]:
    """The subject and body of ``template`` for the record, or the reason it cannot be used."""
    try:
        subject, body = selectors.email_template_render(
            template, record, user=actor.user, company=actor.company
        )
    except PlaceholderError as exc:
        return {}, _("The template “%(name)s” cannot be used: %(error)s") % {
            "name": template.name,
            "error": exc,
        }
    return {"subject": subject, "body": body}, ""


def _prefilled_form(
    request: AuthedHttpRequest, actor: Actor, record: models.Model, kind: str
) -> tuple[ComposeForm, str]:
    """The compose form before sending: on a GET the record's address and the default template
    of the language (or ``?template=``); after "Apply" (a POST with ``apply``), what was typed
    with the chosen template's text (the default one when only the language changed)."""
    applying = request.method == "POST"
    data = request.POST if applying else request.GET
    language = _language(data.get("language"))
    initial: dict[str, Any] = {"language": language, "to": services.record_recipient(record)}
    if applying:
        initial.update(
            to=str(data.get("to", ""))[:4000],
            cc=str(data.get("cc", ""))[:4000],
            subject=str(data.get("subject", ""))[:255],
            body=str(data.get("body", ""))[:200_000],
        )
    form = ComposeForm(company_id=actor.company.pk, kind=kind)
    template = _template(form, data.get("template"))
    if template is None and (not applying or data.get("apply") == "language"):
        template = selectors.default_template(actor.company.pk, kind, language)
    error = ""
    if template is not None:
        initial["template"] = template.pk
        if template.language != language and not data.get("language"):
            initial["language"] = template.language
        filled, error = _filled(actor, record, template)
        initial.update(filled)
    form = ComposeForm(initial=initial, company_id=actor.company.pk, kind=kind)
    return form, error


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def compose(request: AuthedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Write an email from a record. Refused with a clear message when the record asked not to
    be emailed (nothing is stored). Sent: the email is queued and the record's page opens."""
    actor = require_right(request.user, Right.CREATE_RECORDS)
    record = _record(request, kind, pk)
    refusal = services.email_refusal(record)
    template_error = ""
    if request.method == "POST" and "apply" not in request.POST:
        form = ComposeForm(request.POST, request.FILES, company_id=actor.company.pk, kind=kind)
        if refusal:
            form.is_valid()
            form.add_error(None, refusal)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.email_queue(
                    actor=actor,
                    record=record,
                    to=data["to"],
                    cc=data["cc"],
                    subject=data["subject"],
                    body_html=data["body"],
                    template=data["template"],
                    attachments=data["attachments"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The email is on its way."))
                return redirect(record_url(record))
    else:
        form, template_error = _prefilled_form(request, actor, record, kind)
    context = {
        "form": form,
        "kind": kind,
        "kind_label": kind_of(record).label,
        "record": record,
        "record_url": record_url(record),
        "refusal": refusal,
        "template_error": template_error,
        "max_attachments": services.MAX_ATTACHMENTS,
    }
    return render(request, "emails/compose.html", context)


@login_required
@company_required
@require_GET
def detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    email = selectors.email_get_for_user(request.user, pk)
    record = email.record
    context = {
        "email": email,
        "record": record,
        "record_url": record_url(record) if record is not None else "",
        "attachments": list(email.attachments.all()),
        "can_retry": email.state == Email.State.FAILED and actor.has(Right.CREATE_RECORDS),
    }
    return render(request, "emails/detail.html", context)


@login_required
@require_GET
def attachment(request: AuthedHttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """An attachment, always downloaded (never shown by the browser, whatever its type)."""
    email = selectors.email_get_for_user(request.user, pk)
    found = get_or_404(email.attachments.all(), attachment_pk)
    try:
        handle = found.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=found.name,
        content_type=found.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@company_required
@require_GET
def sent(request: AuthedHttpRequest) -> HttpResponse:
    """The emails the user sees (see selectors.emails_for_user), newest first, by state."""
    require_actor(request.user)
    state = request.GET.get("state", "")
    state = state if state in Email.State.values else ""
    page = selectors.sent_page(request.user, state=state, cursor=request.GET.get("cursor"))
    rows = [(email, _record_link(email)) for email in page.rows]
    context = {"page": page, "rows": rows, "state": state, "states": Email.State.choices}
    if request.htmx and request.htmx.target == "email-rows":
        return render(request, "emails/sent.html#rows", context)
    return render(request, "emails/sent.html", context)


def _record_link(email: Email) -> tuple[str, str]:
    record = email.record
    if record is None:
        return "", ""
    return str(record), record_url(record)


@login_required
@company_required
@require_POST
def retry(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.CREATE_RECORDS)
    email = selectors.email_get_for_user(request.user, pk)
    try:
        services.email_retry(actor=actor, email=email)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The email is queued again."))
    return redirect("emails:detail", email.pk)
