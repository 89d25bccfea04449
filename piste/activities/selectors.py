"""Reads on events: the access-filtered queryset and the checked getter (the one access rule
for events), used by the record tabs, "My actions", the calendar and the iCal feeds."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from piste.activities.models import Event, EventAttendee
from piste.core.access import actor_for, get_or_404, records_for_user


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
