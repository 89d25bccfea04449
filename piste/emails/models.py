"""Emails written from a record: the SMTP accounts they leave by, the templates they start
from, the messages themselves (linked to their record) and their attachments."""

from __future__ import annotations

import uuid
from email.errors import HeaderParseError
from email.headerregistry import Address

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class TemplateKind(models.TextChoices):
    """The record kinds (piste.core.records.KINDS) an email is written from: not events."""

    LEAD = "lead", _("lead")
    PARTNER = "partner", _("account")
    CONTACT = "contact", _("contact")
    OPPORTUNITY = "opportunity", _("opportunity")


class EmailAccount(CompanyOwned):
    """An SMTP server and mailbox the company's emails leave by: the company's default one, or a
    user's personal one (``user`` set), which their emails then use."""

    class Security(models.TextChoices):
        NONE = "none", _("None")
        STARTTLS = "starttls", _("STARTTLS")
        SSL = "ssl", _("SSL/TLS")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal account of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for an account of the whole company."),
    )
    name = models.CharField(_("name"), max_length=100)
    from_address = models.EmailField(_("sender address"), max_length=254)
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    host = models.CharField(_("SMTP server"), max_length=255)
    port = models.PositiveIntegerField(
        _("port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    username = models.CharField(_("user name"), max_length=254, blank=True)
    # Stored as typed: the cryptography package is not among Piste's dependencies. The forms
    # never show it back (an empty field keeps the stored one).
    password = models.CharField(_("password"), max_length=500, blank=True)
    timeout = models.PositiveSmallIntegerField(
        _("timeout (seconds)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
    )
    is_default = models.BooleanField(_("default account of the company"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email account")
        verbose_name_plural = _("email accounts")
        constraints = [
            # Sending picks "the" default account of a company: at most one.
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(is_default=True),
                name="emailaccount_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sender(self) -> str:
        """The From header: "Name <address>", quoted as needed, unencoded (Django encodes)."""
        if not self.from_name:
            return self.from_address
        try:
            return str(Address(display_name=self.from_name, addr_spec=self.from_address))
        except (ValueError, IndexError, HeaderParseError):
            return self.from_address


class EmailTemplate(CompanyOwned):
    """A subject and body with placeholders (piste.core.placeholders) for one kind of record in
    one language; the default one of its kind and language is preselected when composing."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("record"), max_length=20, choices=TemplateKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=255)
    # Rich text, sanitised on save (piste.core.html.sanitise_html).
    body = models.TextField(_("body"))
    is_default = models.BooleanField(_("default template"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        constraints = [
            # The compose form preselects "the" default of a kind and language: at most one.
            models.UniqueConstraint(
                fields=["company", "kind", "language"],
                condition=models.Q(is_default=True),
                name="emailtemplate_one_default",
            ),
        ]
        indexes = [
            # The compose form lists a company's templates of one kind.
            models.Index(fields=["company", "kind", "language"], name="emailtemplate_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Email(CompanyOwned):
    """One message written from a record, queued, then sent by the job queue (with retries)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    # The record it was written from (lead, partner, contact, opportunity). The merge registry
    # moves these to the surviving record (piste.duplicates GENERIC_RELATED).
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    account = models.ForeignKey(
        EmailAccount,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_address = models.CharField(_("from"), max_length=400)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_html = models.TextField(_("body"), blank=True)
    body_text = models.TextField(blank=True)
    template = models.ForeignKey(
        EmailTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [
            # A record's Email tab, newest first, paged by id.
            models.Index(fields=["content_type", "object_id", "-id"], name="email_record_idx"),
            # "Sent emails": the company's (whole-company scope), paged by id.
            models.Index(fields=["company", "-id"], name="email_company_idx"),
            # "Sent emails": those a user sent (narrower scopes), paged by id.
            models.Index(fields=["company", "sender", "-id"], name="email_sender_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def recipients(self) -> str:
        return ", ".join([*self.to, *self.cc])


def _attachment_path(instance: EmailAttachment, filename: str) -> str:
    # A folder per file: two attachments of one name never collide, and the name stays readable.
    return f"emails/{instance.email.company_id}/{uuid.uuid4().hex}/{filename}"


class EmailAttachment(models.Model):
    email = models.ForeignKey(
        Email, verbose_name=_("email"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=255)
    name = models.CharField(_("name"), max_length=150)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
