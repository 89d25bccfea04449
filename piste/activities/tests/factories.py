"""Events for tests, made through the services (so defaults, reminders and timeline are real)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from piste.activities import services
from piste.activities.models import Event
from piste.core.access import Actor, actor_for
from piste.users.models import User


def actor(user: User) -> Actor:
    found = actor_for(user)
    assert found is not None
    return found


def at(hours: float = 0, *, now: datetime | None = None) -> datetime:
    """A moment ``hours`` from now (negative: in the past), whole minutes."""
    base = (now or timezone.now()).replace(second=0, microsecond=0)
    return base + timedelta(hours=hours)


def make_event(
    user: User,
    record: models.Model | None = None,
    *,
    reminders: services.Reminders | None = None,
    guests: services.Guests | None = None,
    **data: Any,
) -> Event:
    """An event planned by ``user`` (a meeting tomorrow unless told)."""
    data.setdefault("subject", "Rendez-vous")
    data.setdefault("start", at(24))
    return services.event_create(
        actor=actor(user), data=data, record=record, guests=guests, reminders=reminders
    )


def reload(event: Event) -> Event:
    return Event.objects.get(pk=event.pk)
