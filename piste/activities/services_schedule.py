"""Moving an event in time: its reminders follow its start (used by the event form and by
the calendar's drag and drop)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from piste.activities.models import Event, EventReminder


def reminders_follow_start(event: Event) -> None:
    """Each reminder of the event is due its minutes before the (new) start, and is sent again
    if it was already sent for the old start."""
    for reminder in EventReminder.objects.filter(event=event):
        remind_at = event.start - timedelta(minutes=reminder.minutes_before)
        if reminder.remind_at != remind_at:
            reminder.remind_at = remind_at
            reminder.sent_at = None
            reminder.save(update_fields=["remind_at", "sent_at"])


class MovedMeanwhile(Exception):
    """The event changed since the user saw it (another version): the move is refused."""


@transaction.atomic
def event_move(*, event: Event, start: datetime, end: datetime, version: int | None) -> Event:
    """The calendar's drag and drop: ``event_reschedule`` if the event is still at the version
    the user saw (its row locked while compared, so two moves cannot both pass);
    MovedMeanwhile otherwise. The caller checked the user may change it."""
    current = Event.objects.select_for_update().filter(pk=event.pk).values("version").first()
    if current is None or version != current["version"]:
        raise MovedMeanwhile
    return event_reschedule(event=event, start=start, end=end)


@transaction.atomic
def event_reschedule(*, event: Event, start: datetime, end: datetime) -> Event:
    """New start and end (end >= start; a note keeps end == start), version bumped."""
    if not event.has_duration:
        end = start
    if end < start:
        raise ValueError("end before start")
    event.start, event.end = start, end
    event.version = F("version") + 1
    event.save(update_fields=["start", "end", "version", "updated_at"])
    event.refresh_from_db(fields=["version"])
    reminders_follow_start(event)
    return event
