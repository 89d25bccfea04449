"""Events (« Événements »): calls, meetings, tasks and notes linked to leads, partners, contacts
and opportunities; their attendees and email reminders; each user's private calendar feed.

A task is an action (« Action »): its end is its due date, and a planned task past it is late.
A note is dated but lasts no time: its end equals its start (kept so by the services).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from piste.core.models import CompanyOwned, ExternallyKeyed, external_id_index


def _user_fk(verbose: Any, related_name: str = "+") -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
    )


def _record_fk(model: str, verbose: Any) -> models.ForeignKey[Any, Any]:
    # No index of its own: the (record, start) and (record, end) indexes below serve lookups by
    # record too. SET_NULL: deleting a record leaves its events in the calendars.
    return models.ForeignKey(
        model,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
    )


class EventKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    TASK = "task", _("Task")
    NOTE = "note", _("Note")


class EventStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", pgettext_lazy("event status", "Done")
    CANCELLED = "cancelled", _("Cancelled")


class EventPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


def _record_indexes(field: str) -> list[models.Index]:
    # The record's Events tab and its computed dates (seed 000: « Date du dernier événement »,
    # « Date du prochain événement planifié »): the next planned event walks (record, start),
    # the last past one walks (record, end) backwards.
    return [
        models.Index(fields=[field, "start"], name=f"event_{field}_start_idx"),
        models.Index(fields=[field, "end"], name=f"event_{field}_end_idx"),
    ]


class Event(CompanyOwned, ExternallyKeyed):
    """A dated activity (« Événement »): call, meeting, task or note."""

    kind = models.CharField(
        _("type"), max_length=10, choices=EventKind.choices, default=EventKind.MEETING
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.PLANNED
    )
    subject = models.CharField(_("subject"), max_length=200)
    start = models.DateTimeField(_("start"))
    # Always set: a note's end is its start, a task's end is its due date.
    end = models.DateTimeField(_("end"))
    all_day = models.BooleanField(_("all day"), default=False)
    location = models.CharField(_("location"), max_length=255, blank=True, default="")
    # Rich text, sanitised by the services before it is stored.
    description = models.TextField(_("description"), blank=True, default="")
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=EventPriority.choices, default=EventPriority.NORMAL
    )
    call_direction = models.CharField(
        _("call direction"), max_length=10, choices=CallDirection.choices, blank=True, default=""
    )

    assigned_to = _user_fk(_("assigned to"))
    organizer = _user_fk(_("organiser"))
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    lead = _record_fk("leads.Lead", _("lead"))
    partner = _record_fk("partners.Partner", _("partner"))
    contact = _record_fk("partners.Contact", _("contact"))
    opportunity = _record_fk("opportunities.Opportunity", _("opportunity"))

    created_by = _user_fk(_("created by"))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)
    # Bumped by every change: two users editing one event cannot overwrite each other.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ("start", "id")
        indexes = [
            external_id_index("event"),
            # A user's calendar: their events overlapping a period (end >= from, start < to).
            models.Index(fields=["assigned_to", "end"], name="event_assignee_end_idx"),
            # "My actions": a user's planned tasks by due date.
            models.Index(
                fields=["assigned_to", "end"],
                name="event_open_task_idx",
                condition=Q(kind="task", status="planned"),
            ),
            # The team scope of the access layer.
            models.Index(fields=["team", "end"], name="event_team_end_idx"),
            *_record_indexes("lead"),
            *_record_indexes("partner"),
            *_record_indexes("contact"),
            *_record_indexes("opportunity"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")), name="event_end_gte_start"
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_late(self) -> bool:
        """A planned task past its due date (shown in red)."""
        return (
            self.kind == EventKind.TASK
            and self.status == EventStatus.PLANNED
            and self.end < timezone.now()
        )

    @property
    def has_duration(self) -> bool:
        return self.kind != EventKind.NOTE


class AttendeePresence(models.TextChoices):
    REQUIRED = "required", _("Required")
    OPTIONAL = "optional", _("Optional")
    DECLINED = "declined", _("Not taking part")


class EventAttendee(models.Model):
    """One guest of an event: a user, a contact or a lead (exactly one of them)."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="attendees"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    contact = models.ForeignKey(
        "partners.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="event_invitations",
    )
    presence = models.CharField(
        _("presence"),
        max_length=10,
        choices=AttendeePresence.choices,
        default=AttendeePresence.REQUIRED,
    )

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, contact__isnull=True, lead__isnull=True)
                    | Q(user__isnull=True, contact__isnull=False, lead__isnull=True)
                    | Q(user__isnull=True, contact__isnull=True, lead__isnull=False)
                ),
                name="attendee_exactly_one_person",
            ),
            models.UniqueConstraint(fields=["event", "user"], name="attendee_unique_user"),
            models.UniqueConstraint(fields=["event", "contact"], name="attendee_unique_contact"),
            models.UniqueConstraint(fields=["event", "lead"], name="attendee_unique_lead"),
        ]
        indexes = [
            # A user's calendar also shows the events they are invited to.
            models.Index(fields=["user", "event"], name="attendee_user_event_idx"),
        ]

    def __str__(self) -> str:
        return str(self.user or self.contact or self.lead)


class EventReminder(models.Model):
    """An email sent to one user some time before an event starts (by the job queue)."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="event_reminders",
    )
    minutes_before = models.PositiveIntegerField(_("minutes before"))
    # start - minutes_before, kept by the services when the event moves (then sent_at resets).
    remind_at = models.DateTimeField(_("remind on"))
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user", "minutes_before"], name="reminder_unique"
            )
        ]
        indexes = [
            # The reminder job reads the due, unsent reminders only.
            models.Index(
                fields=["remind_at"], name="reminder_due_idx", condition=Q(sent_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.minutes_before} min)"


class CalendarFeed(models.Model):
    """A user's private iCalendar feed address in one company. Only the token's SHA-256 is
    stored: the address is shown once, when it is made; making a new one revokes the old."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    company = models.ForeignKey(
        "users.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used on"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="calendar_feed_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.company})"
