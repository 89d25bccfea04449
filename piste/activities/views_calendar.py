"""The calendar page (FullCalendar: month, week, day), its events as JSON, and the moves made by
dragging or resizing an event (static/piste/events_calendar.js).

The JSON endpoints answer 400 with ``{"error": text}`` on any malformed parameter, never a 500.
A move answers ``{"ok": true, "message": text, "event": row}`` or ``{"ok": false, "error":
text}`` with 400 (bad times), 403 (no right), 404 (unseen event) or 409 (changed meanwhile);
the calendar then puts the event back where it was.

Without JavaScript the page lists the month's events as links, with links to the months around.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piste.activities import selectors_calendar as cal
from piste.activities.ical import all_day_span
from piste.activities.models import Event, EventKind, EventStatus
from piste.activities.selectors import event_get_for_user
from piste.activities.services_schedule import MovedMeanwhile, event_move
from piste.core.access import can_change, company_required, require_actor
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.text import is_id

TEMPLATE = "activities/calendar.html"
# The event form of the other half of issue 8: a plain path, as it may not be routed yet.
NEW_EVENT_PATH = "/events/new/"


def _detail_prefix() -> str:
    """The event pages' URL up to the id: each row's link is ``prefix + id + "/"``."""
    url = reverse("activities:detail", args=[0])
    return url[:-2]


def event_json(row: dict[str, Any], prefix: str, now: datetime) -> dict[str, Any]:
    """A row (``selectors_calendar.COLUMNS``) as a FullCalendar event."""
    kind, status = row["kind"], row["status"]
    classes = [f"ev-{kind}", f"ev-{status}"]
    if kind == EventKind.TASK and status == EventStatus.PLANNED and row["end"] < now:
        classes.append("ev-late")
    if row["all_day"]:
        first, last = all_day_span(row["start"], row["end"])
        start, end = first.isoformat(), (last + timedelta(days=1)).isoformat()
    else:
        # Wall-clock times of Piste's time zone, without offset: the calendar is told that
        # zone by name (``data-time-zone``) and shows them as they are, whatever the
        # browser's own zone; it sends moves back the same way (parse_moment: local time).
        start = timezone.localtime(row["start"]).replace(tzinfo=None).isoformat()
        end = timezone.localtime(row["end"]).replace(tzinfo=None).isoformat()
    key = str(row["id"])
    return {
        "id": key,
        "title": row["subject"],
        "start": start,
        "end": end,
        "allDay": row["all_day"],
        "url": f"{prefix}{key}/",
        "classNames": classes,
        # A note lasts no time: it moves, it is not resized.
        "durationEditable": kind != EventKind.NOTE,
        "extendedProps": {"version": row["version"], "kind": kind, "status": status},
    }


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


# The page ------------------------------------------------------------------------------------


def _month_of(text: str | None) -> date:
    """The first day of the month to show (``?date=2026-11-24``; this month otherwise)."""
    try:
        day = date.fromisoformat((text or "")[:10])
    except ValueError:
        day = timezone.localdate()
    if not 1901 <= day.year <= 2998:
        day = timezone.localdate()
    return day.replace(day=1)


def _month_bounds(first: date) -> tuple[datetime, datetime]:
    following = (first + timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    return start, timezone.make_aware(datetime.combine(following, time.min))


@login_required
@company_required
@require_GET
def page(request: AuthedHttpRequest) -> HttpResponse:
    """The calendar: FullCalendar reads ``calendar:events``; the month's events are also listed
    as links (no JavaScript needed). ``?who=mine|team|users&users=1,2&date=2026-11-24``.

    Queries: the session and the actor (4), the people the user may choose (1), the month's
    events (1)."""
    actor = require_actor(request.user)
    people = cal.visible_people(request.user)
    who = request.GET.get("who", cal.WHO_MINE)
    users_text = ",".join(request.GET.getlist("users"))
    problem = ""
    try:
        chosen = cal.parse_people(request.user, who, users_text)
    except cal.CalendarError as exc:
        problem, who, users_text = str(exc), cal.WHO_MINE, ""
        chosen = [actor.user.pk]
    first = _month_of(request.GET.get("date"))
    start, end = _month_bounds(first)
    rows, capped = cal.events_of_people(request.user, chosen, start, end)
    prefix = _detail_prefix()
    for row in rows:
        row["url"] = f"{prefix}{row['id']}/"
        row["late"] = (
            row["kind"] == EventKind.TASK
            and row["status"] == EventStatus.PLANNED
            and row["end"] < timezone.now()
        )
    query = {"who": who, **({"users": users_text} if who == cal.WHO_USERS else {})}
    previous_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    chosen_users = set(chosen) if who == cal.WHO_USERS else set()
    context = {
        "people": [(p, p.id in chosen_users) for p in people],
        "who": who,
        "users_text": users_text,
        "problem": problem,
        "rows": rows,
        "capped": capped,
        "month_title": date_format(first, "F Y").capitalize(),
        "initial_date": first.isoformat(),
        "time_zone": timezone.get_current_timezone_name(),
        "previous_url": f"?{urlencode({**query, 'date': previous_month.isoformat()})}",
        "next_url": f"?{urlencode({**query, 'date': next_month.isoformat()})}",
        "events_url": reverse("calendar:events"),
        "move_url": reverse("calendar:move"),
        "new_url": NEW_EVENT_PATH,
        "feed_url": reverse("calendar:feed"),
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "can_create": actor.has(Right.CREATE_RECORDS),
        "max_users": cal.MAX_USERS,
    }
    return render(request, TEMPLATE, context)


# The events ----------------------------------------------------------------------------------


@login_required
@company_required
@require_GET
def events(request: AuthedHttpRequest) -> HttpResponse:
    """The events of ``who`` (``users``) overlapping [start, end), as FullCalendar asks them:
    ``{"events": [...], "capped": bool}``. Queries: the session and the actor (4), the people
    when ``who=users`` (1), the events (1)."""
    try:
        start, end = cal.parse_period(request.GET.get("start"), request.GET.get("end"))
        people = cal.parse_people(
            request.user, request.GET.get("who"), ",".join(request.GET.getlist("users"))
        )
    except cal.CalendarError as exc:
        return _error(str(exc))
    rows, capped = cal.events_of_people(request.user, people, start, end)
    prefix, now = _detail_prefix(), timezone.now()
    payload: dict[str, Any] = {
        "events": [event_json(row, prefix, now) for row in rows],
        "capped": capped,
    }
    if capped:
        payload["message"] = _(
            "This period holds more than %(count)s events: only the first ones are shown."
        ) % {"count": cal.EVENT_CAP}
    response = JsonResponse(payload)
    response["Cache-Control"] = "private, no-store"
    return response


# Moves ---------------------------------------------------------------------------------------


def _new_times(event: Event, post: Any) -> tuple[datetime, datetime]:
    """The moved event's start and end from FullCalendar's ``start``, ``end`` (absent when the
    event had no end: its duration then stays) and ``all_day``. ``CalendarError`` otherwise."""
    all_day = post.get("all_day", "") == "true"
    if all_day != event.all_day:
        raise cal.CalendarError(_("Open the event to change whether it lasts all day."))
    start, _is_date = cal.parse_moment(post.get("start"))
    if event.all_day:
        # From the start of the first day to the end of the last (as the event form keeps
        # them); FullCalendar's end is the day after the last one.
        first, last = all_day_span(event.start, event.end)
        new_first = timezone.localdate(start)
        if post.get("end"):
            end, _is_date = cal.parse_moment(post.get("end"))
            new_last = max(new_first, timezone.localdate(end) - timedelta(days=1))
        else:
            new_last = new_first + (last - first)
        start = timezone.make_aware(datetime.combine(new_first, time.min))
        return start, timezone.make_aware(datetime.combine(new_last, time(23, 59, 59)))
    if post.get("end"):
        end, _is_date = cal.parse_moment(post.get("end"))
    else:
        end = start + (event.end - event.start)
    if end < start:
        raise cal.CalendarError(_("The end cannot come before the start."))
    return start, end


@login_required
@company_required
@require_POST
def move(request: AuthedHttpRequest) -> HttpResponse:
    """Move or resize the event ``pk`` (seen at ``version``) to ``start``/``end``, as
    ``services_schedule.event_reschedule`` does; its reminders follow."""
    actor = require_actor(request.user)
    if not actor.has(Right.CHANGE_RECORDS):
        return _error(str(Right.CHANGE_RECORDS.label), 403)
    pk = request.POST.get("pk", "")
    unseen = _("This event does not exist or is out of your reach.")
    if not is_id(pk):
        return _error(unseen, 404)
    try:
        event = event_get_for_user(request.user, pk)
    except Http404:  # the same refusal, as JSON
        return _error(unseen, 404)
    if not can_change(request.user, event):
        return _error(str(Right.CHANGE_RECORDS.label), 403)
    try:
        start, end = _new_times(event, request.POST)
    except cal.CalendarError as exc:
        return _error(str(exc))
    version = request.POST.get("version", "")
    try:
        event = event_move(
            event=event, start=start, end=end, version=int(version) if is_id(version) else None
        )
    except MovedMeanwhile:
        return _error(
            _(
                "“%(subject)s” was changed by someone else meanwhile: reload the calendar "
                "to see it where it is now."
            )
            % {"subject": event.subject},
            409,
        )
    row = {name: getattr(event, name) for name in cal.COLUMNS}
    when = date_format(timezone.localtime(event.start), "DATETIME_FORMAT")
    if event.all_day:
        when = date_format(timezone.localdate(event.start), "DATE_FORMAT")
    return JsonResponse(
        {
            "ok": True,
            "message": _("“%(subject)s” now starts on %(when)s.")
            % {"subject": event.subject, "when": when},
            "event": event_json(row, _detail_prefix(), timezone.now()),
        }
    )
