"""Reads of the emails app: which emails a user sees, a record's emails, the templates offered
when composing (filled for a record), the configuration's accounts and templates."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404

from piste.core.access import actor_for, get_or_404, in_company
from piste.core.html import sanitise_html
from piste.core.pagination import Page, keyset_page
from piste.core.placeholders import record_context, render_placeholders
from piste.core.records import kind_of_content_type, record_get_for_user
from piste.core.rights import Scope
from piste.emails.models import Email, EmailAccount, EmailTemplate

PAGE_SIZE = 25
RECORD_PAGE_SIZE = 20


def emails_for_user(user: Any) -> QuerySet[Email]:
    """The emails of the "Sent emails" page: the company's for a whole-company scope, else
    those the user sent (their records' emails show on the records themselves)."""
    actor = actor_for(user)
    if actor is None:
        return Email.objects.none()
    qs = Email.objects.filter(company_id=actor.company.pk)
    if actor.scope != Scope.COMPANY:
        qs = qs.filter(sender_id=actor.user.pk)
    return qs


def email_get_for_user(user: Any, pk: Any) -> Email:
    """One email the user may read: one of ``emails_for_user``, or one written from a record
    they see (through that record's access getter); 404 otherwise."""
    actor = actor_for(user)
    if actor is None:
        raise Http404
    email = get_or_404(
        Email.objects.filter(company_id=actor.company.pk).select_related(
            "sender", "account", "template", "content_type"
        ),
        pk,
    )
    if actor.scope != Scope.COMPANY and email.sender_id != actor.user.pk:
        kind = kind_of_content_type(email.content_type_id)
        record_get_for_user(user, kind.slug, email.object_id)
    return email


def record_emails_page(record: models.Model, cursor: str | None) -> Page[Email]:
    """A record's emails, newest first. Queries: the page (with the senders), its attachments
    (content types are cached)."""
    qs = (
        Email.objects.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            company_id=getattr(record, "company_id", 0),
        )
        .select_related("sender")
        .prefetch_related("attachments")
    )
    return keyset_page(qs, sort="-id", cursor=cursor, per_page=RECORD_PAGE_SIZE)


def sent_page(user: Any, *, state: str, cursor: str | None) -> Page[Email]:
    """One page of "Sent emails". Queries: the page (with the senders), the attachments, and
    the records, one query per kind of record on the page."""
    qs = emails_for_user(user).select_related("sender")
    if state in Email.State.values:
        qs = qs.filter(state=state)
    page = keyset_page(qs, sort="-id", cursor=cursor, per_page=PAGE_SIZE)
    models.prefetch_related_objects(page.rows, "attachments", "record")
    return page


# Templates --------------------------------------------------------------------------------------


def templates_for_kind(company_id: int, kind: str) -> QuerySet[EmailTemplate]:
    return EmailTemplate.objects.filter(company_id=company_id, kind=kind).order_by(
        "language", "name", "id"
    )


def default_template(company_id: int, kind: str, language: str) -> EmailTemplate | None:
    return (
        EmailTemplate.objects.filter(
            company_id=company_id, kind=kind, language=language, is_default=True
        )
        .order_by("id")
        .first()
    )


def email_template_render(
    template: EmailTemplate, record: models.Model, *, user: Any, company: Any
) -> tuple[str, str]:
    """The template's subject and body filled for the record; PlaceholderError (naming the
    line) if it cannot be rendered."""
    context = record_context(record, user=user, company=company)
    subject = render_placeholders(template.subject, context, autoescape=False)
    body = render_placeholders(template.body, context)
    return " ".join(subject.split()), sanitise_html(body)


# Configuration ----------------------------------------------------------------------------------


def accounts_for_config(user: Any) -> QuerySet[EmailAccount]:
    return in_company(user, EmailAccount.objects.select_related("user")).order_by("name", "id")


def account_get_for_config(user: Any, pk: Any) -> EmailAccount:
    return get_or_404(in_company(user, EmailAccount.objects.all()), pk)


def templates_for_config(user: Any) -> QuerySet[EmailTemplate]:
    return in_company(user, EmailTemplate.objects.all()).order_by("kind", "language", "name", "id")


def template_get_for_config(user: Any, pk: Any) -> EmailTemplate:
    return get_or_404(in_company(user, EmailTemplate.objects.all()), pk)
