from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


class ImportJob(CompanyOwned):
    """One import of a file into one kind of record (« Import »), run by the job queue.

    The mapping, defaults and match rule chosen in the wizard are kept on the job: the preview,
    the run and the report read the same settings. ``undo_status`` follows the undo job."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being set up")
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        CREATE = "create", _("Create new records only")
        UPDATE = "update", _("Update existing records only")
        BOTH = "both", _("Create or update")

    class UndoStatus(models.TextChoices):
        NONE = "", _("not undone")
        PENDING = "pending", _("Undo waiting")
        RUNNING = "running", _("Undo running")
        DONE = "done", _("Undone")
        FAILED = "failed", _("Undo failed")

    entity = models.CharField(_("record kind"), max_length=40)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)  # csv, xlsx
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    # {column index as text: field name}
    mapping = models.JSONField(_("mapping"), default=dict)
    # {field name: text typed in the wizard}, used where the row leaves the field empty.
    defaults = models.JSONField(_("default values"), default=dict)
    match_on = models.CharField(_("match on"), max_length=40, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.BOTH)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    report = models.FileField(_("rejected rows"), upload_to="imports/reports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    undo_status = models.CharField(
        _("undo"), max_length=10, choices=UndoStatus.choices, blank=True, default=""
    )
    # {"deleted": n, "restored": n, "kept": [{"id": …, "label": …, "reason": …}, …]}
    undo_result = models.JSONField(_("undo result"), default=dict, blank=True)
    # Who asked for the undo (the one who imported, or an administrator): the undo acts as them.
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    started_at = models.DateTimeField(_("started on"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # « My imports », newest first, paged by keyset (id).
            models.Index(fields=["company", "created_by", "id"], name="importjob_mine_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING) or self.undo_status in (
            self.UndoStatus.PENDING,
            self.UndoStatus.RUNNING,
        )


class ImportRecord(models.Model):
    """A record an import created or updated: what undo deletes or restores.

    ``before`` holds the updated fields' stored values before the import, ``after`` their values
    once imported: undo restores ``before`` only where the record still holds ``after``."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    # Indexed by ``importrecord_job_idx`` (job, action, id): no index of its own.
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="records", db_index=False
    )
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["job", "action", "id"], name="importrecord_job_idx")]

    def __str__(self) -> str:
        return f"{self.action} #{self.object_id}"


class ImportMapping(CompanyOwned):
    """The columns a user last mapped for one kind of record: offered again for their next file
    (by header text, folded)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entity = models.CharField(max_length=40)
    # {folded header: field name}
    columns = models.JSONField(default=dict)
    defaults = models.JSONField(default=dict)
    match_on = models.CharField(max_length=40, blank=True)
    mode = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "company", "user", "entity", name="importmapping_user_entity_unique"
            )
        ]
