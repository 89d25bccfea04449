"""Benchmark scenarios of the events calendar and the iCalendar feed, as the bench user sees
them: ``SCENARIOS``, to append to ``bench.scenarios.SCENARIOS``.

The generated dataset has no events: ``prepare_events`` gives the bench user EVENTS events
(idempotent: kept while there are that many and the feed's window still holds about
FEED_WINDOW of them): 9,000 spread over the three years before the feed's window (a past month
holds about 270), 1,000 in the window (90 days back to a year ahead). One event in ten has a
colleague invited, one in twenty is all day, with every type and status. The scenarios' URLs
call it, once, before the server starts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from bench.scenarios import Dataset, Scenario

JSON: dict[str, str] = {"Accept": "application/json"}
EVENTS = 10_000
FEED_WINDOW = 1_000
SUBJECT = "Bench calendar"


def _window() -> tuple[datetime, datetime]:
    from django.utils import timezone

    from piste.activities.selectors_calendar import FEED_FUTURE, FEED_PAST

    now = timezone.now()
    return now - FEED_PAST, now + FEED_FUTURE


@cache
def prepare_events(d: Dataset) -> int:
    """The bench user's events (made when missing); returns their count."""
    from django.db import connection, transaction

    from piste.activities.models import Event, EventAttendee, EventKind, EventStatus

    user = d.bench_user
    ours = Event.objects.filter(company_id=d.company_id, subject__startswith=SUBJECT)
    first, last = _window()
    in_window = ours.filter(end__gte=first, start__lt=last).count()
    if ours.count() == EVENTS and abs(in_window - FEED_WINDOW) < FEED_WINDOW // 10:
        return EVENTS
    kinds = [k.value for k in EventKind]
    statuses = [EventStatus.PLANNED, EventStatus.PLANNED, EventStatus.DONE, EventStatus.CANCELLED]
    colleague = (
        type(user)
        .objects.filter(memberships__company_id=d.company_id)
        .exclude(pk=user.pk)
        .values_list("pk", flat=True)
        .first()
    )
    past_span = (first - timedelta(days=3 * 365)), first
    rows = []
    for n in range(EVENTS):
        if n < EVENTS - FEED_WINDOW:
            low, high = past_span
            share = n / (EVENTS - FEED_WINDOW)
        else:
            low, high = first, last
            share = (n - (EVENTS - FEED_WINDOW)) / FEED_WINDOW
        start = low + (high - low) * share
        # Working hours, by quarter hours.
        start = start.replace(hour=8 + n % 10, minute=15 * (n % 4), second=0, microsecond=0)
        kind = kinds[n % len(kinds)]
        all_day = n % 20 == 0
        if all_day:
            start = start.replace(hour=0, minute=0)
        end = start if kind == EventKind.NOTE else start + timedelta(minutes=30 + 15 * (n % 5))
        rows.append(
            Event(
                company_id=d.company_id,
                kind=kind,
                status=statuses[n % len(statuses)],
                subject=f"{SUBJECT} {n:05d}",
                start=start,
                end=end,
                all_day=all_day,
                location="12 rue des Lilas, Lyon" if n % 3 == 0 else "",
                description="<p>Ordre du jour&nbsp;: <strong>devis</strong></p>" if n % 2 else "",
                assigned_to_id=user.pk,
                created_by_id=user.pk,
            )
        )
    with transaction.atomic():
        ours.delete()
        made = Event.objects.bulk_create(rows, batch_size=2000)
        if colleague is not None:
            EventAttendee.objects.bulk_create(
                [EventAttendee(event_id=e.pk, user_id=colleague) for e in made[::10]],
                batch_size=2000,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE activities_event, activities_eventattendee")
    return EVENTS


def _busy_month(d: Dataset) -> tuple[datetime, datetime]:
    """The 6 weeks FullCalendar asks for the month a year ago (about 270 of the user's events),
    Monday first, at local midnights."""
    from django.utils import timezone

    prepare_events(d)
    today = timezone.localdate()
    first = date(today.year - 1, today.month, 1)
    monday = first - timedelta(days=first.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    end = timezone.make_aware(datetime.combine(monday + timedelta(days=42), time.min))
    return start, end


def _month_url(d: Dataset) -> str:
    start, end = _busy_month(d)
    query = urlencode({"start": start.isoformat(), "end": end.isoformat(), "who": "mine"})
    return f"/calendar/events/?{query}"


def _month_expect(d: Dataset) -> str:
    from piste.activities.selectors_calendar import events_of_people

    start, end = _busy_month(d)
    rows, _more = events_of_people(d.bench_user, [d.bench_user.pk], start, end)
    if len(rows) < 100:
        raise LookupError(f"the busy month holds {len(rows)} events")
    return f'"title": "{rows[0]["subject"]}"'


def _page_url(d: Dataset) -> str:
    start, _end = _busy_month(d)
    return f"/calendar/?date={(start + timedelta(days=10)).date().isoformat()}"


@cache
def _feed_url(d: Dataset) -> str:
    """A fresh feed of the bench user (the one before stops working)."""
    from piste.activities.services_feeds import feed_create
    from piste.users.models import Company

    prepare_events(d)
    token = feed_create(user=d.bench_user, company=Company.objects.get(pk=d.company_id))
    return f"/calendar/feed/{token}.ics"


def _feed_expect(d: Dataset) -> Any:
    return "BEGIN:VEVENT"


SCENARIOS: list[Scenario] = [
    Scenario(
        name="calendar_month_json",
        target_p95_ms=60,
        url=_month_url,
        headers=JSON,
        what="The events FullCalendar asks for a month (6 weeks) of a user with 10,000 events: "
        "one union of the assigned rows ((assigned_to, end) index) and the invited ones, about "
        "270 rows as JSON.",
        expect=_month_expect,
    ),
    Scenario(
        name="calendar_page",
        target_p95_ms=150,
        url=_page_url,
        what="The calendar page of that busy month: the people to choose from and the month's "
        "events listed as links (the calendar without JavaScript).",
        expect=lambda d: 'id="events-calendar"',
    ),
    Scenario(
        name="calendar_feed",
        target_p95_ms=200,
        url=_feed_url,
        what="The user's private iCalendar feed: 1,000 events from 90 days back to a year "
        "ahead, found by the token's hash, written as VEVENTs.",
        expect=_feed_expect,
    ),
]
