"""Documents attached to any record (lead, partner, contact, opportunity, event) and the print
templates that make PDFs of records.

A document's file lives in Django's storage (local disk by default, S3-compatible in
production) under a random name: the user's file name is only shown and sent back on download,
never used as a path.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


def document_path(instance: Document, filename: str) -> str:
    """A random path per file: the uploaded name could hold folders, control characters or
    another file's name; nothing of it reaches the storage."""
    now = timezone.now()
    return f"documents/{instance.company_id}/{now:%Y/%m}/{uuid.uuid4().hex}"


class Document(CompanyOwned):
    """A file attached to one record (« Document »), listed on the record's Documents tab."""

    # The record: (content type, id), as the timeline links its lines. Merges move these rows
    # (registered in the merge registry with these two field names).
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    # Guessed from the (checked) extension, never read from what the browser claims.
    mime_type = models.CharField(_("type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added on"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            # The Documents tab: one record's documents, newest first.
            models.Index(fields=["content_type", "object_id", "-id"], name="document_record_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class PrintKind(models.TextChoices):
    """The records a print template is written for."""

    LEAD = "lead", _("Lead")
    PARTNER = "partner", _("Account")
    CONTACT = "contact", _("Contact")
    OPPORTUNITY = "opportunity", _("Opportunity")


class PrintLanguage(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class PrintTemplate(CompanyOwned):
    """A print template (« Modèle d'édition »): HTML and CSS with placeholders over the safe
    context of ``piste.core.placeholders``, made into a PDF by WeasyPrint."""

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("record type"), max_length=16, choices=PrintKind.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=PrintLanguage.choices, default=PrintLanguage.FR
    )
    html = models.TextField(_("HTML"))
    css = models.TextField(_("CSS"), blank=True)
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Preselected in the print dialog of this record type."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        verbose_name = _("print template")
        verbose_name_plural = _("print templates")
        ordering = ["kind", "name", "id"]
        constraints = [
            # One preselected template per record type: the services unset the previous one.
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=models.Q(is_default=True),
                name="printtemplate_one_default",
            ),
        ]
        indexes = [
            # The print dialog: a company's templates of one record type.
            models.Index(fields=["company", "kind"], name="printtemplate_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.name
