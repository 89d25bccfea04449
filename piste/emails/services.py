"""Writes of the emails app: SMTP accounts and templates (configuration), queueing an email
written from a record, and delivering it (called by the job queue, with retries)."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import models, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.html import sanitise_html
from piste.core.models import Activity
from piste.core.placeholders import PlaceholderError, check_placeholders
from piste.core.records import kind_of
from piste.core.rights import Right
from piste.core.secrets import secret_decrypt, secret_encrypt
from piste.core.timeline import activity_record
from piste.documents.validation import validate_upload
from piste.emails.models import (
    Email,
    EmailAccount,
    EmailAttachment,
    EmailTemplate,
    Language,
    TemplateKind,
)
from piste.emails.text import html_to_text

State = Email.State
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
MAX_RECIPIENTS = 20
MAX_ATTACHMENTS = 10
# Most mail servers refuse messages above 25 MB; attachments grow by a third once encoded.
MAX_TOTAL_ATTACHMENTS = 18 * 1024 * 1024
MAX_ERROR = 2000


class EmailDeliveryError(Exception):
    """A delivery attempt failed and another one will follow (the job queue retries)."""


def _require_config(actor: Actor, obj: models.Model | None = None) -> None:
    if not actor.has(Right.MANAGE_CONFIGURATION):
        raise PermissionDenied(Right.MANAGE_CONFIGURATION.label)
    if obj is not None and getattr(obj, "company_id", None) != actor.company.pk:
        raise PermissionDenied


# Accounts ---------------------------------------------------------------------------------------

ACCOUNT_FIELDS = (
    "name", "user", "from_address", "from_name", "host", "port", "security", "username",
    "timeout", "is_default", "is_active",
)  # fmt: skip


@transaction.atomic
def email_account_save(
    *, actor: Actor, data: dict[str, Any], account: EmailAccount | None = None
) -> EmailAccount:
    """Create or change an account. An empty ``password`` keeps the stored one (the form never
    shows it back); a new default account takes the place of the previous one."""
    _require_config(actor, account)
    user = data.get("user")
    if (
        user is not None
        and not user.memberships.filter(company_id=actor.company.pk, is_active=True).exists()
    ):
        raise ValidationError({"user": _("This user does not work in this company.")})
    if account is None:
        account = EmailAccount(company_id=actor.company.pk)
    for name in ACCOUNT_FIELDS:
        if name in data:
            setattr(account, name, data[name])
    if data.get("password"):
        # Encrypted at rest (piste.core.secrets): a database copy does not give it away.
        account.password = secret_encrypt(data["password"])
    if account.user_id is not None:
        # A personal account is its user's, never the company's default.
        account.is_default = False
    if account.is_default:
        EmailAccount.objects.filter(company_id=actor.company.pk, is_default=True).exclude(
            pk=account.pk
        ).update(is_default=False)
    account.save()
    return account


@transaction.atomic
def email_account_delete(*, actor: Actor, account: EmailAccount) -> None:
    """Emails sent through it keep their sender address; later retries use the default."""
    _require_config(actor, account)
    account.delete()


def _connection(account: EmailAccount | None) -> BaseEmailBackend:
    if account is None:
        # No account: Django's own mail settings (EMAIL_HOST…, or the console when developing).
        return get_connection(fail_silently=False)
    return get_connection(
        SMTP_BACKEND,
        fail_silently=False,
        host=account.host,
        port=account.port,
        username=account.username or None,
        password=secret_decrypt(account.password) or None,
        use_tls=account.security == EmailAccount.Security.STARTTLS,
        use_ssl=account.security == EmailAccount.Security.SSL,
        timeout=account.timeout,
    )


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:MAX_ERROR]


def email_account_test(*, actor: Actor, account: EmailAccount, to: str) -> None:
    """Send a short message through the account now; ValidationError with the server's answer
    if it fails (nothing is stored either way)."""
    _require_config(actor, account)
    message = EmailMultiAlternatives(
        subject=_("Piste: test email"),
        body=_("This test email was sent by Piste through the account “%(name)s”.")
        % {"name": account.name},
        from_email=account.sender,
        to=[to],
    )
    try:
        message.connection = _connection(account)
        message.send()
    except Exception as exc:  # any socket, TLS or SMTP failure: shown to the administrator
        raise ValidationError(
            _("The test email could not be sent: %(error)s") % {"error": _error_text(exc)}
        ) from exc


def sending_account(*, user: Any, company_id: int) -> EmailAccount | None:
    """The account a user's emails leave by: their own active one, else the company's default
    active one, else None (Django's mail settings)."""
    accounts = list(
        EmailAccount.objects.filter(company_id=company_id, is_active=True)
        .filter(models.Q(user_id=user.pk) | models.Q(user__isnull=True, is_default=True))
        .order_by(F("user_id").asc(nulls_last=True), "id")[:1]
    )
    return accounts[0] if accounts else None


# Templates --------------------------------------------------------------------------------------


def _checked(field: str, source: str) -> None:
    try:
        check_placeholders(source)
    except PlaceholderError as exc:
        raise ValidationError({field: str(exc)}) from exc


@transaction.atomic
def email_template_save(
    *, actor: Actor, data: dict[str, Any], template: EmailTemplate | None = None
) -> EmailTemplate:
    """Create or change a template: placeholders checked (the error names its line), body
    sanitised; a new default takes the place of its kind and language's previous one."""
    _require_config(actor, template)
    _checked("subject", data["subject"])
    body = sanitise_html(data["body"])
    if not body:
        raise ValidationError({"body": _("Write the body of the email.")})
    _checked("body", body)
    if template is None:
        template = EmailTemplate(company_id=actor.company.pk)
    for name in ("name", "kind", "language", "subject", "is_default"):
        setattr(template, name, data[name])
    template.body = body
    if template.is_default:
        EmailTemplate.objects.filter(
            company_id=actor.company.pk,
            kind=template.kind,
            language=template.language,
            is_default=True,
        ).exclude(pk=template.pk).update(is_default=False)
    template.save()
    return template


@transaction.atomic
def email_template_delete(*, actor: Actor, template: EmailTemplate) -> None:
    """Emails written from it keep their text."""
    _require_config(actor, template)
    template.delete()


# Written in both languages once: the catalogs translate the interface, not customer content.
DEFAULT_TEMPLATES = [
    {
        "name": "Premier contact",
        "kind": TemplateKind.LEAD,
        "language": Language.FR,
        "subject": "{{ company.name }} : suite à votre demande",
        "body": (
            "<div>Bonjour {{ lead.first_name }} {{ lead.last_name }},<br><br>"
            "Je vous remercie de l'intérêt que vous portez à {{ company.name }}. "
            "Seriez-vous disponible pour un premier échange dans les prochains jours ?<br><br>"
            "Bien cordialement,<br>{{ user.full_name }}</div>"
        ),
    },
    {
        "name": "First contact",
        "kind": TemplateKind.LEAD,
        "language": Language.EN,
        "subject": "{{ company.name }}: following up on your request",
        "body": (
            "<div>Hello {{ lead.first_name }} {{ lead.last_name }},<br><br>"
            "Thank you for your interest in {{ company.name }}. "
            "Would you be available for a first call in the coming days?<br><br>"
            "Kind regards,<br>{{ user.full_name }}</div>"
        ),
    },
]


@transaction.atomic
def email_templates_install_defaults(company: Any) -> int:
    """The first-contact template of a lead in French and English, unless the company already
    has templates of that name; returns how many were created. Idempotent."""
    created = 0
    for row in DEFAULT_TEMPLATES:
        exists = EmailTemplate.objects.filter(
            company_id=company.pk, kind=row["kind"], language=row["language"]
        )
        if exists.filter(name=row["name"]).exists():
            continue
        EmailTemplate.objects.create(
            company_id=company.pk,
            is_default=not exists.filter(is_default=True).exists(),
            **row,
        )
        created += 1
    return created


# Composing and queueing -------------------------------------------------------------------------


def record_recipient(record: models.Model) -> str:
    """Where an email written from the record goes by default: its own address (an opportunity:
    its customer's)."""
    if kind_of(record).slug == "opportunity":
        return getattr(record.partner, "email", "") or ""  # type: ignore[attr-defined]
    return getattr(record, "email", "") or ""


def email_refusal(record: models.Model) -> str:
    """Why the record may not be emailed ("" if it may): its do-not-email flag (an
    opportunity: its customer's)."""
    slug = kind_of(record).slug
    if slug == "opportunity":
        partner = record.partner  # type: ignore[attr-defined]
        if partner.do_not_email:
            return _("%(name)s asked not to receive emails: this email cannot be sent.") % {
                "name": partner
            }
        return ""
    if slug not in TemplateKind.values:
        return _("Emails are written from a lead, an account, a contact or an opportunity.")
    if getattr(record, "do_not_email", False):
        return _("%(name)s asked not to receive emails: this email cannot be sent.") % {
            "name": record
        }
    return ""


def _checked_attachments(files: Sequence[UploadedFile], crm_settings: Any) -> list[str]:
    """The safe names of the files, or ValidationError on the attachments field (before any
    write: a refused file leaves nothing behind)."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}}
        )
    errors: list[str] = []
    names: list[str] = []
    for upload in files:
        try:
            names.append(validate_upload(upload, crm_settings))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    total = sum(upload.size or 0 for upload in files)
    if total > MAX_TOTAL_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": _("The attachments add up to %(size)s: the limit is %(limit)s.")
                % {
                    "size": filesizeformat(total),
                    "limit": filesizeformat(MAX_TOTAL_ATTACHMENTS),
                }
            }
        )
    return names


@transaction.atomic
def email_queue(
    *,
    actor: Actor,
    record: models.Model,
    to: list[str],
    cc: list[str] | None = None,
    subject: str,
    body_html: str,
    template: EmailTemplate | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Email:
    """Store an email written from ``record`` with its attachments, note it on the record's
    timeline and hand it to the job queue once committed. The record must have been read
    through the access layer. Refused (ValidationError, nothing stored) when the record asked
    not to be emailed or an attachment is not acceptable."""
    if not actor.has(Right.CREATE_RECORDS):
        raise PermissionDenied(Right.CREATE_RECORDS.label)
    if getattr(record, "company_id", None) != actor.company.pk:
        raise PermissionDenied
    if template is not None and template.company_id != actor.company.pk:
        raise PermissionDenied
    refusal = email_refusal(record)
    if refusal:
        raise ValidationError(refusal)
    cc = cc or []
    if not to:
        raise ValidationError({"to": _("Enter at least one recipient.")})
    if len(to) + len(cc) > MAX_RECIPIENTS:
        raise ValidationError(
            {"to": _("Write to at most %(count)d people.") % {"count": MAX_RECIPIENTS}}
        )
    subject = " ".join(subject.split())[:255]
    if not subject:
        raise ValidationError({"subject": _("Enter a subject.")})
    body = sanitise_html(body_html)
    if not body:
        raise ValidationError({"body": _("Write the body of the email.")})
    names = _checked_attachments(attachments, actor.company.crm_settings)

    account = sending_account(user=actor.user, company_id=actor.company.pk)
    email = Email.objects.create(
        company_id=actor.company.pk,
        content_type=_content_type(record),
        object_id=record.pk,
        account=account,
        sender=actor.user,
        from_address=account.sender if account else settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
        subject=subject,
        body_html=body,
        body_text=html_to_text(body),
        template=template,
    )
    for upload, name in zip(attachments, names, strict=True):
        attachment = EmailAttachment(
            email=email,
            name=name,
            size=upload.size or 0,
            # From the name, not from what the browser claimed.
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
    activity_record(
        obj=record,
        verb=Activity.Verb.EMAIL_SENT,
        actor=actor.user,
        data={"message": subject, "email_id": email.pk},
    )
    _enqueue(email.pk)
    return email


def _content_type(record: models.Model) -> Any:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(record)


def _enqueue(email_id: int) -> None:
    from piste.emails.tasks import send_email

    transaction.on_commit(lambda: send_email(email_id))


@transaction.atomic
def email_retry(*, actor: Actor, email: Email) -> Email:
    """Queue a failed email again (read through the access layer), its attempts from zero."""
    if not actor.has(Right.CREATE_RECORDS):
        raise PermissionDenied(Right.CREATE_RECORDS.label)
    if email.company_id != actor.company.pk:
        raise PermissionDenied
    updated = Email.objects.filter(pk=email.pk, state=State.FAILED).update(
        state=State.QUEUED, attempts=0, last_error="", queued_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("Only an email that failed can be sent again."))
    _enqueue(email.pk)
    email.refresh_from_db()
    return email


# Delivery ---------------------------------------------------------------------------------------


def _message(email: Email) -> EmailMultiAlternatives:
    domain = email.from_address.rpartition("@")[2].strip(" >") or None
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_address,
        to=list(email.to),
        cc=list(email.cc),
        headers={"Message-ID": make_msgid(domain=domain)},
        connection=_connection(email.account),
    )
    sender = email.sender
    # Through a shared account, answers go to whoever wrote the email.
    if (
        sender is not None
        and sender.email
        and (email.account is None or email.account.user_id != sender.pk)
    ):
        message.reply_to = [sender.email]
    message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all():
        with attachment.file.open("rb") as handle:
            message.attach(attachment.name, handle.read(), attachment.content_type or None)
    return message


def email_send(*, email_id: int, last_attempt: bool = True) -> Email | None:
    """One delivery attempt of a queued email (the job queue's task calls it).

    Not one transaction: the SMTP dialogue must not hold the database. Claiming the email
    (queued or sending -> sending, one more attempt) is a single conditional UPDATE, so two
    workers never send it twice and a sent one is never sent again (None then). A failure
    keeps the error; on the last attempt the email is failed, otherwise EmailDeliveryError
    asks the queue for another attempt.
    """
    claimed = Email.objects.filter(pk=email_id, state__in=[State.QUEUED, State.SENDING]).update(
        state=State.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    email = Email.objects.select_related("account", "sender").get(pk=email_id)
    try:
        message = _message(email)
        message.send()
    except Exception as exc:  # socket, TLS, SMTP refusal, missing file: kept and shown
        email.last_error = _error_text(exc)
        email.state = State.FAILED if last_attempt else State.SENDING
        email.save(update_fields=["state", "last_error"])
        if not last_attempt:
            raise EmailDeliveryError(email.last_error) from exc
        return email
    email.state = State.SENT
    email.sent_at = timezone.now()
    email.message_id = str(message.extra_headers.get("Message-ID", ""))[:255]
    email.last_error = ""
    email.save(update_fields=["state", "sent_at", "message_id", "last_error"])
    return email
