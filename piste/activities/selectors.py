"""Reads on events: the access-filtered queryset and the checked getter (the one access rule
for events), used by the record tabs, "My actions", the calendar and the iCal feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from piste.activities.models import Event, EventAttendee, EventKind, EventStatus
from piste.core.access import actor_for, get_or_404, records_for_user

M = TypeVar("M", bound=Model)


def events_for_user(user: Any) -> QuerySet[Event]:
    """Every event the user may see: their company's events within their record scope (owner
    ``assigned_to``, team, creator), and the events they are invited to."""
    scoped = records_for_user(user, Event.objects.all())
    actor = actor_for(user)
    if actor is None:
        return scoped
    invited = EventAttendee.objects.filter(user_id=actor.user.pk).values("event_id")
    return Event.objects.filter(company_id=actor.company.pk).filter(
        Q(pk__in=scoped.values("pk")) | Q(pk__in=invited)
    )


def event_get_for_user(user: Any, pk: Any) -> Event:
    """One event the user may see, with what its page shows; 404 otherwise."""
    return get_or_404(
        events_for_user(user).select_related(
            "assigned_to", "organizer", "team", "created_by", "lead", "partner", "contact",
            "opportunity",
        ),
        pk,
    )  # fmt: skip


# A record's events ---------------------------------------------------------------------------

# The record tab lists at most this many events per section (its page shows as many).
PANE_LIMIT = 50
# "My actions" shows this many tasks per page (keyset pages).
ACTIONS_PER_PAGE = 50
# The fields of Event naming the record an event is linked to, by record kind.
RECORD_FIELD = {
    "leads.Lead": "lead",
    "partners.Partner": "partner",
    "partners.Contact": "contact",
    "opportunities.Opportunity": "opportunity",
}


def record_field(model: type[Model] | Model) -> str:
    """The Event field linking events to records of ``model`` (LookupError for any other)."""
    return RECORD_FIELD[model._meta.label]


@dataclass
class RecordEvents:
    """What a record's Events tab shows."""

    tasks: list[Event]  # planned tasks, by due date (the late ones first)
    upcoming: list[Event]  # other planned events not over yet, soonest first
    past: list[Event]  # the rest (done, cancelled, over), newest first
    more_past: bool


def record_events(user: Any, record: Model, *, limit: int = PANE_LIMIT) -> RecordEvents:
    """The events of ``record`` the user may see. Queries: 3 (one per section, each with its
    assignee joined)."""
    now = timezone.now()
    field = record_field(record)
    linked = events_for_user(user).filter(**{f"{field}_id": record.pk})
    linked = linked.select_related("assigned_to")
    planned = Q(status=EventStatus.PLANNED)
    tasks = list(linked.filter(planned, kind=EventKind.TASK).order_by("end", "id")[:limit])
    upcoming = list(
        linked.filter(planned, end__gte=now)
        .exclude(kind=EventKind.TASK)
        .order_by("start", "id")[:limit]
    )
    past = list(
        linked.exclude(planned & Q(kind=EventKind.TASK))
        .exclude(planned & Q(end__gte=now))
        .order_by("-start", "-id")[: limit + 1]
    )
    return RecordEvents(
        tasks=tasks, upcoming=upcoming, past=past[:limit], more_past=len(past) > limit
    )


# Computed dates (axelor-reference §11.3) ------------------------------------------------------


@dataclass(frozen=True)
class EventDates:
    last_at: datetime | None  # « Date du dernier événement »
    next_at: datetime | None  # « Date du prochain événement planifié »


def with_event_dates(queryset: QuerySet[M], *, now: datetime | None = None) -> QuerySet[M]:
    """``queryset`` (leads, partners, contacts or opportunities) annotated with
    ``last_event_at`` and ``next_event_at``, computed as the reference's formulas at query time:

    - last: the START of the linked event with the latest END among those whose end is past
      (any status: cancelled events count);
    - next: the earliest START among linked PLANNED events starting after now.

    Two correlated subqueries, each walking the (record, end) or (record, start) index.
    """
    now = now or timezone.now()
    field = record_field(queryset.model)
    linked = Event.objects.filter(**{f"{field}_id": OuterRef("pk")})
    last = linked.filter(end__lt=now).order_by("-end", "-start", "-id").values("start")[:1]
    upcoming = linked.filter(start__gt=now, status=EventStatus.PLANNED).order_by("start")
    return queryset.annotate(
        last_event_at=Subquery(last), next_event_at=Subquery(upcoming.values("start")[:1])
    )


def event_dates(record: Model) -> EventDates:
    """The last and next event dates of one record. Queries: 1."""
    model = type(record)
    row = (
        with_event_dates(model._default_manager.filter(pk=record.pk))
        .values_list("last_event_at", "next_event_at")
        .first()
    )
    return EventDates(*row) if row else EventDates(None, None)


# "My actions" --------------------------------------------------------------------------------


def my_actions(user: Any, *, late_only: bool = False) -> QuerySet[Event]:
    """The user's planned tasks (assigned to them), by due date: the rows of "My actions",
    on the (assigned_to, end) partial index of open tasks."""
    actor = actor_for(user)
    if actor is None:
        return Event.objects.none()
    qs = records_for_user(user, Event.objects.all()).filter(
        assigned_to_id=actor.user.pk, kind=EventKind.TASK, status=EventStatus.PLANNED
    )
    if late_only:
        qs = qs.filter(end__lt=timezone.now())
    return qs.select_related("lead", "partner", "contact", "opportunity")
