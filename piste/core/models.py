from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.text import fold

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CompanyOwned(models.Model):
    """A record that belongs to one company; the access layer never lets it cross companies."""

    company = models.ForeignKey(
        "users.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class Mergeable(models.Model):
    """A record the duplicate engine (``piste.duplicates``) compares and merges: lead, partner,
    contact. Its email in lower case and its domain are kept by the record's services."""

    # Duplicate checks compare addresses in lower case and by domain (kept by the services).
    email_key = models.CharField(max_length=254, editable=False, default="")
    email_domain = models.CharField(max_length=200, editable=False, default="")
    # Set by a merge: this record was merged into that one and is archived (kept, never
    # deleted, so that the merge can be undone); the lists and searches leave it out.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged on"), null=True, blank=True)

    class Meta:
        abstract = True


class ExternallyKeyed(models.Model):
    """A record that other systems may name by their own key: imports match on it, the API and
    exports carry it. Unique per company is not enforced: two systems may share a key space."""

    # db_default too: the bench loads rows with COPY, which names only the columns it fills.
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, default="", db_default=""
    )

    class Meta:
        abstract = True


def external_id_index(prefix: str) -> models.Index:
    """Imports match rows on (company, external id); most records have none (partial)."""
    return models.Index(
        fields=["company", "external_id"],
        name=f"{prefix}_external_id_idx",
        condition=~models.Q(external_id=""),
    )


def external_id_clean(value: Any) -> str:
    """An external id as stored: trimmed text of at most 100 characters."""
    from django.core.exceptions import ValidationError

    text = "" if value is None else str(value).strip()
    if len(text) > 100:
        raise ValidationError({"external_id": _("The external id holds at most 100 characters.")})
    return text


class NamedReferential(CompanyOwned):
    """A configuration list entry whose name is unique per company, ignoring case and accents."""

    name = models.CharField(_("name"), max_length=120)
    # fold(name): the unique key and the search column, so both ignore case and accents.
    name_key = models.CharField(max_length=120, editable=False)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    # A type only, no manager: Django gives every concrete subclass its `objects`, but
    # django-stubs adds none to an abstract model, and the generic config code works on
    # type[NamedReferential].
    objects: ClassVar[models.Manager[Self]]

    class Meta:
        abstract = True
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(
                "company", "name_key", name="%(app_label)s_%(class)s_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = fold(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        # The key follows the name before validation, so constraint checks see the new key.
        self.name_key = fold(self.name)
        super().clean_fields(exclude=exclude)


class WorkflowStatus(NamedReferential):
    """A step of a record's status bar (lead statuses, prospect statuses, opportunity stages).

    Shown in ``sequence`` order; open steps list under Open, closed ones under Closed. A few steps
    carry a role (the default one, the won or lost one…), each held by at most one step of a
    company; ``piste.core.statuses`` describes each kind's roles and keeps these rules.
    """

    sequence = models.PositiveIntegerField(_("order"), default=0)
    is_open = models.BooleanField(pgettext_lazy("lead status", "open"), default=True)
    role = models.CharField(_("role"), max_length=16, blank=True)
    folded = models.BooleanField(
        _("folded on the kanban"),
        default=False,
        help_text=_("The kanban shows this column folded: its name and count only."),
    )

    class Meta(NamedReferential.Meta):
        abstract = True
        ordering = ["sequence", "id"]
        constraints = [
            *NamedReferential.Meta.constraints,
            models.UniqueConstraint(
                "company",
                "role",
                name="%(app_label)s_%(class)s_role_unique",
                condition=~models.Q(role=""),
            ),
        ]


def duplicate_lookup_indexes(prefix: str) -> list[models.Index]:
    """The indexes duplicate warnings and scans look leads, partners and contacts up by: address,
    domain and both phones, within a company. Partial: most rows leave some of them empty."""
    return [
        models.Index(
            fields=["company", field],
            name=f"{prefix}_{suffix}_idx",
            condition=~models.Q(**{field: ""}),
        )
        for field, suffix in (
            ("email_key", "email_key"),
            ("email_domain", "domain"),
            ("fixed_phone", "fixed_phone"),
            ("mobile_phone", "mobile_phone"),
        )
    ]


def role_openness(name: str, closed_roles: list[str]) -> models.CheckConstraint:
    """The database's copy of a workflow's rule: the default step is open, the steps holding
    ``closed_roles`` (won, lost, converted…) are closed."""
    return models.CheckConstraint(
        condition=~models.Q(role__in=closed_roles, is_open=True)
        & ~models.Q(role="default", is_open=False),
        name=name,
    )


color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f77b4."))


class Tag(NamedReferential):
    """A coloured label usable on any record."""

    color = models.CharField(
        _("colour"), max_length=7, default="#6c757d", validators=[color_validator]
    )

    class Meta(NamedReferential.Meta):
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        indexes = [
            # The tag list sorts on these columns (then id) and pages by keyset.
            models.Index(fields=["company", "color", "id"], name="tag_company_color_idx"),
            models.Index(fields=["company", "created_at", "id"], name="tag_company_created_idx"),
        ]


class ActivityQuerySet(models.QuerySet):
    """The timeline is append-only: bulk updates and deletes are refused too."""

    def update(self, **kwargs: Any) -> int:
        raise ValueError("The timeline is append-only: activities are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("The timeline is append-only: activities are never deleted.")


class Activity(CompanyOwned):
    """One append-only line of a record's timeline: who did what, and when.

    Written only by ``piste.core.timeline.activity_record`` (called from services).
    """

    class Verb(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")
        STATUS_CHANGED = "status_changed", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        CONVERTED = "converted", _("converted")
        EVENT_PLANNED = "event_planned", _("event planned")
        EMAIL_SENT = "email_sent", _("email sent")
        DOCUMENT_ADDED = "document_added", _("document added")
        MEMBER_ADDED = "member_added", _("member added")
        MEMBER_REMOVED = "member_removed", _("member removed")
        IMPORTED = "imported", _("imported")
        # A web-to-lead form sent again by a known address (piste.webforms).
        FORM_SUBMITTED = "form_submitted", _("form submitted")
        NOTE = "note", _("note")
        # Merges (piste.duplicates): on the survivor, on each archived record, and their undo.
        MERGED = "merged", _("merged")
        MERGED_INTO = "merged_into", _("merged into")
        MERGE_UNDONE = "merge_undone", _("merge undone")

    # Empty for records shared by every company (countries, cities…).
    company = models.ForeignKey(  # type: ignore[assignment]
        "users.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Indexed by ``activity_record_idx`` (content type, object, id): no index of its own.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.BigIntegerField()
    verb = models.CharField(max_length=32, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"changes": [{"field": "name", "from": "A", "to": "B"}], "message": "..."}
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # A record's timeline, newest first, paged by id: one index range scan per page.
            models.Index(fields=["content_type", "object_id", "-id"], name="activity_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb_label} #{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("The timeline is append-only: an activity is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("The timeline is append-only: an activity is never deleted.")

    @property
    def verb_label(self) -> StrOrPromise:
        """``get_verb_display()`` without its cost: Django hashes every choice label at each
        call, a millisecond for one page of timeline."""
        return _VERB_LABELS.get(self.verb, self.verb)


def _upload_path(instance: Upload, filename: str) -> str:
    return f"uploads/{instance.company_id}/{filename}"


_VERB_LABELS = dict(Activity.Verb.choices)


class Upload(CompanyOwned):
    """A picture put into rich text (a description): served only to users of its company."""

    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to=_upload_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self) -> str:
        return str(self.key)


from piste.core.models_layouts import FormLayout  # noqa
