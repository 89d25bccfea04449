"""Duplicate checks and merges on leads, partners and contacts.

A check (« Vérifier doublons ») and the background scan of the whole database both write a
``DuplicateScan`` and its ``DuplicateGroup`` rows, so that results survive the request, show a
progress bar while a job runs and stay browsable. A ``MergeLog`` holds what a merge changed, row
by row, so that it can be undone exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from piste.core.models import CompanyOwned


class Entity(models.TextChoices):
    LEAD = "lead", _("leads")
    PARTNER = "partner", _("partners")
    CONTACT = "contact", _("contacts")


class DuplicateScan(CompanyOwned):
    """One duplicate check over a list selection, a whole list or the whole database."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    entity = models.CharField(_("records"), max_length=10, choices=Entity.choices)
    # The compared fields, in the order the user ticked them (names from piste.duplicates.fields).
    fields = models.JSONField(_("compared fields"), default=list)
    # Which records: the ids of a selection, or none for every record the user may see.
    record_ids = models.JSONField(default=list, blank=True)
    # The list's query string (its filters and search) when checked from a filtered list.
    list_query = models.TextField(blank=True)
    scheduled = models.BooleanField(_("scheduled"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="queued")
    processed = models.PositiveIntegerField(_("records read"), default=0)
    total = models.PositiveIntegerField(_("records to read"), default=0)
    group_count = models.PositiveIntegerField(_("groups"), default=0)
    record_count = models.PositiveIntegerField(_("duplicates"), default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started on"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate check")
        verbose_name_plural = _("duplicate checks")
        indexes = [
            # The checks page lists a company's checks, newest first.
            models.Index(fields=["company", "-created_at"], name="dupscan_company_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(99, self.processed * 100 // self.total) if self.total else 0


class DuplicateGroup(models.Model):
    """Records of one scan whose compared values are the same once normalised."""

    scan = models.ForeignKey(DuplicateScan, on_delete=models.CASCADE, related_name="groups")
    # The shared normalised values, shown as the group's title.
    key = models.TextField()
    size = models.PositiveIntegerField()
    record_ids = models.JSONField(default=list)
    # Set once the group was merged (or found merged), so the results show what is left to do.
    merged = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Groups show largest first, in keyset pages.
            models.Index(fields=["scan", "-size", "id"], name="dupgroup_scan_size_idx"),
        ]

    def __str__(self) -> str:
        return self.key


class MergeLog(CompanyOwned):
    """A merge of ``merged_ids`` into ``survivor_id``, with all it needs to be undone.

    ``before`` holds the survivor's field values before the merge (only those the merge changed),
    ``moves`` the related rows it re-pointed, as [{"model": label, "field": name, "from": old id,
    "ids": [row ids]}], and ``removed`` the link rows it dropped because the survivor already had
    them, as [{"model": label, "values": {column: value}}].
    """

    entity = models.CharField(_("records"), max_length=10, choices=Entity.choices)
    survivor_id = models.PositiveBigIntegerField()
    merged_ids = models.JSONField(default=list)
    label = models.CharField(_("record"), max_length=400, blank=True)
    merged_labels = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    moves = models.JSONField(default=list)
    removed = models.JSONField(default=list)
    moved_count = models.PositiveIntegerField(_("related records moved"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("merged on"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone on"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [
            models.Index(fields=["company", "-created_at"], name="mergelog_company_idx"),
            # A record's page finds the merge that archived it or made it the survivor.
            models.Index(fields=["company", "entity", "survivor_id"], name="mergelog_survivor_idx"),
        ]

    def __str__(self) -> str:
        return self.label
