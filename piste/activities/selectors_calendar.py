"""Reads of the calendar page and of the iCalendar feeds: whose calendar a user may open, a
period's events as plain rows, and the period's and the people's limits.

A calendar shows the events of some people (me, my teams' people, users I chose) overlapping a
period: those assigned to one of them or to which one of them is invited, among the events the
viewer may see (``events_for_user``'s rule: their record scope, or invited themselves).

Why not ``events_for_user(user).filter(...)`` as such: its visibility test is a pair of
``id IN (subquery)`` joined by OR, which PostgreSQL can only run as a hash of every event of the
company. Here each half of the union starts from an index on the people (``(assigned_to, end)``
for the assignees, ``(user, event)`` of the attendees), and the same rule (``records_for_user``
on the rows, or invited) filters the few rows found. ``test_calendar_selectors`` proves the
result equals the plain ``events_for_user`` reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.activities.models import Event, EventAttendee
from piste.core.access import actor_for, records_for_user
from piste.core.rights import Scope

# FullCalendar's month view asks 6 weeks (42 days); a daylight-saving change and a time zone
# offset add hours on either side. A longer period is refused: a year of a team would read
# tens of thousands of rows.
MAX_DAYS = 45
# People in one calendar ("chosen users").
MAX_USERS = 20
# Rows one answer sends: beyond it the calendar says the period is too busy to show whole.
EVENT_CAP = 2000
# The columns a calendar row needs (no join: the title and the links are built from them).
COLUMNS = (
    "id", "subject", "kind", "status", "start", "end", "all_day", "location", "version",
    "assigned_to_id",
)  # fmt: skip

WHO_MINE, WHO_TEAM, WHO_USERS = "mine", "team", "users"
WHO_CHOICES = (WHO_MINE, WHO_TEAM, WHO_USERS)


class CalendarError(ValueError):
    """A request the calendar refuses (bad period, bad people): its message is for the user."""


# Parameters ----------------------------------------------------------------------------------


def parse_moment(text: str | None) -> tuple[datetime, bool]:
    """A moment as FullCalendar sends it: an ISO date-time with or without offset (local time
    then), or a date (its local midnight; the bool says so). ``CalendarError`` otherwise."""
    value = (text or "").strip()[:40]
    # A "+02:00" offset in a query string not percent-encoded arrives as " 02:00".
    if len(value) > 19 and value[19:20] == " ":
        value = f"{value[:19]}+{value[20:]}"
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.min)
            is_date = True
        else:
            moment = datetime.fromisoformat(value)
            is_date = False
    except ValueError as exc:
        raise CalendarError(
            _("“%(value)s” is not a date such as 2026-11-24 or 2026-11-24T09:30:00+01:00.")
            % {"value": value}
        ) from exc
    if not 1900 <= moment.year <= 2999:
        raise CalendarError(_("Choose a date between the years 1900 and 2999."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment, is_date


def parse_period(start_text: str | None, end_text: str | None) -> tuple[datetime, datetime]:
    """The period [start, end) asked, at most MAX_DAYS long; ``CalendarError`` otherwise."""
    start, _is_date = parse_moment(start_text)
    end, _is_date = parse_moment(end_text)
    if end <= start:
        raise CalendarError(_("The end of the period must come after its start."))
    if end - start > timedelta(days=MAX_DAYS):
        raise CalendarError(
            _("A calendar shows at most %(days)s days at a time.") % {"days": MAX_DAYS}
        )
    return start, end


@dataclass(frozen=True)
class Person:
    id: int
    name: str


def visible_people(user: Any) -> list[Person]:
    """The users whose calendar the user may open: everyone of the company with a company-wide
    scope, my teams' people with a team scope, myself only otherwise. Queries: 1."""
    from piste.core.forms import company_users

    actor = actor_for(user)
    if actor is None:
        return []
    users = company_users(actor.company.pk)
    if actor.scope == Scope.OWN:
        users = users.filter(pk=actor.user.pk)
    elif actor.scope == Scope.TEAM:
        users = users.filter(pk__in=sorted(actor.teammate_ids | {actor.user.pk}))
    rows = users.values_list("id", "first_name", "last_name", "username")
    return [Person(pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows]


def team_ids_of(user: Any) -> list[int]:
    """ "My team's" calendar: the members and leaders of my teams, me included (no query)."""
    actor = actor_for(user)
    if actor is None:
        return []
    return sorted(actor.teammate_ids | {actor.user.pk})


def parse_people(user: Any, who: str | None, users_text: str | None) -> list[int]:
    """The ids of the people whose events to show. ``users``: ids separated by commas, each a
    user the viewer may see (``visible_people``, 1 query). ``CalendarError`` otherwise."""
    actor = actor_for(user)
    if actor is None:
        raise CalendarError(_("No company is granted to this user."))
    who = who or WHO_MINE
    if who == WHO_MINE:
        return [actor.user.pk]
    if who == WHO_TEAM:
        return team_ids_of(user)
    if who != WHO_USERS:
        raise CalendarError(_("Choose whose calendar to show: mine, my team's or chosen users."))
    parts = [p.strip() for p in (users_text or "").split(",")[: MAX_USERS + 1] if p.strip()]
    if not parts:
        raise CalendarError(_("Choose at least one user."))
    if len(parts) > MAX_USERS:
        raise CalendarError(
            _("A calendar shows at most %(count)s users at a time.") % {"count": MAX_USERS}
        )
    if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise CalendarError(_("Choose users from the list."))
    wanted = {int(p) for p in parts}
    allowed = {person.id for person in visible_people(user)}
    if not wanted <= allowed:
        raise CalendarError(_("Choose users from the list."))
    return sorted(wanted)


# Rows ----------------------------------------------------------------------------------------


def _visible(user: Any, queryset: QuerySet[Event]) -> QuerySet[Event]:
    """``queryset`` narrowed to what ``events_for_user`` lets the user see, tested on the rows
    themselves: their record scope, or an invitation of their own."""
    actor = actor_for(user)
    if actor is None:
        return queryset.none()
    invited = EventAttendee.objects.filter(user_id=actor.user.pk).values("event_id")
    scoped = records_for_user(user, queryset)
    return scoped | queryset.filter(company_id=actor.company.pk, pk__in=invited)


def events_of_people(
    user: Any,
    people: list[int],
    start: datetime,
    end: datetime,
    *,
    cap: int | None = None,
    columns: tuple[str, ...] = COLUMNS,
) -> tuple[list[dict[str, Any]], bool]:
    """The events overlapping [start, end) assigned to one of ``people`` or to which one of
    them is invited, that the user may see, in time order: at most ``cap`` rows (EVENT_CAP; as
    ``COLUMNS`` dicts), and whether there were more. Queries: 1."""
    actor = actor_for(user)
    if actor is None or not people:
        return [], False
    cap = EVENT_CAP if cap is None else cap
    period = Event.objects.filter(company_id=actor.company.pk, end__gte=start, start__lt=end)
    assigned = _visible(user, period.filter(assigned_to_id__in=people))
    invited = _visible(user, period.filter(attendees__user_id__in=people))
    rows = list(
        assigned.order_by()
        .values(*columns)
        .union(invited.order_by().values(*columns))
        .order_by("start", "id")[: cap + 1]
    )
    return rows[:cap], len(rows) > cap


# The private feed: from a quarter back to a year ahead, as calendar applications keep it.
FEED_COLUMNS = (*COLUMNS, "description", "priority", "updated_at", "created_at")
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=365)
FEED_CAP = 5000


def feed_events(user: Any) -> list[dict[str, Any]]:
    """A feed's events: the user's own (assigned or invited) around today, as the user may see
    them in their active company (the caller sets it to the feed's). Queries: 1."""
    now = timezone.now()
    rows, _more = events_of_people(
        user, [user.pk], now - FEED_PAST, now + FEED_FUTURE, cap=FEED_CAP, columns=FEED_COLUMNS
    )
    return rows
