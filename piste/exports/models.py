"""An export too large to stream within a web request, written by a background job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_path(instance: ExportJob, filename: str) -> str:
    """A random path per file (the download view gives the file its readable name)."""
    now = timezone.now()
    return f"exports/{instance.company_id}/{now:%Y/%m}/{uuid.uuid4().hex}"


class ExportJob(models.Model):
    """One list export run by the job queue: the list, its query string and format, kept to
    be downloaded by the user who asked for it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    # Exports are transient copies: they go with their company or user.
    company = models.ForeignKey(
        "users.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="export_jobs",
    )
    entity = models.CharField(_("list"), max_length=32)
    kind = models.CharField(_("list kind"), max_length=32, blank=True)
    query = models.TextField(_("filters"), blank=True)
    format = models.CharField(_("format"), max_length=8)
    # The language the user asked in: the worker writes the headings in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default="pending")
    file = models.FileField(_("file"), upload_to=export_path, max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return self.file_name or f"{self.entity} {self.format}"
