"""The calendar's reads: a period's events overlapping it (end >= start and start < end), whose
calendar (mine, my team's, chosen users: assignee or attendee), what each persona may see (the
same set as ``events_for_user``), never another company, the limits on periods and people."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from piste.activities import selectors_calendar as cal
from piste.activities.models import Event, EventAttendee
from piste.activities.selectors import events_for_user
from piste.core.testing import Personas
from piste.users.models import User


def at(text: str) -> datetime:
    """A local time: "2026-06-10 09:30"."""
    return timezone.make_aware(datetime.fromisoformat(text))


def make_event(
    user: User | None,
    start: str | datetime,
    end: str | datetime | None = None,
    *,
    company: Any = None,
    **data: Any,
) -> Event:
    """An event assigned to ``user`` (created by them), in their company."""
    begin = at(start) if isinstance(start, str) else start
    finish = (at(end) if isinstance(end, str) else end) if end else begin + timedelta(hours=1)
    data.setdefault("subject", f"Rendez-vous {begin:%d/%m %H:%M}")
    return Event.objects.create(
        company=company or user.active_company,  # type: ignore[union-attr,misc]
        assigned_to=user,
        created_by=data.pop("created_by", user),
        start=begin,
        end=finish,
        **data,
    )


def invite(event: Event, user: User) -> None:
    EventAttendee.objects.create(event=event, user=user)


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


JUNE = (at("2026-06-01 00:00"), at("2026-07-01 00:00"))


# Period --------------------------------------------------------------------------------------


def test_events_overlapping_the_period_are_shown_edges_included(personas: Personas):
    me = personas.salesperson
    before = make_event(me, "2026-05-20 10:00", "2026-05-31 23:00")
    ends_on_start = make_event(me, "2026-05-31 23:00", "2026-06-01 00:00")
    across = make_event(me, "2026-05-30 10:00", "2026-06-02 10:00")
    inside = make_event(me, "2026-06-15 10:00")
    starts_on_end = make_event(me, "2026-07-01 00:00", "2026-07-01 01:00")
    long = make_event(me, "2026-01-01 00:00", "2026-12-31 00:00")
    rows, capped = cal.events_of_people(me, [me.pk], *JUNE)
    assert ids(rows) == [long.pk, across.pk, ends_on_start.pk, inside.pk]
    assert before.pk not in ids(rows) and starts_on_end.pk not in ids(rows)
    assert capped is False


def test_rows_are_capped(personas: Personas):
    me = personas.salesperson
    for day in range(1, 6):
        make_event(me, f"2026-06-0{day} 10:00")
    rows, capped = cal.events_of_people(me, [me.pk], *JUNE, cap=3)
    assert len(rows) == 3 and capped is True


# Whose calendar ------------------------------------------------------------------------------


def test_mine_holds_my_assigned_and_my_invitations_once(personas: Personas):
    me, mate = personas.salesperson, personas.teammate
    mine = make_event(me, "2026-06-10 09:00")
    invited = make_event(mate, "2026-06-11 09:00")
    invite(invited, me)
    both = make_event(me, "2026-06-12 09:00")
    invite(both, me)
    make_event(mate, "2026-06-13 09:00")
    people = cal.parse_people(me, "mine", "")
    rows, _capped = cal.events_of_people(me, people, *JUNE)
    assert ids(rows) == [mine.pk, invited.pk, both.pk]


def test_team_holds_my_teams_people(personas: Personas):
    me = personas.salesperson
    mine = make_event(me, "2026-06-10 09:00")
    mate = make_event(personas.teammate, "2026-06-11 09:00")
    leader = make_event(personas.manager, "2026-06-12 09:00")
    make_event(personas.outsider, "2026-06-13 09:00")
    people = cal.parse_people(me, "team", "")
    assert set(people) == {me.pk, personas.teammate.pk, personas.manager.pk}
    rows, _capped = cal.events_of_people(me, people, *JUNE)
    assert ids(rows) == [mine.pk, mate.pk, leader.pk]


def test_chosen_users_show_their_events_including_invitations(personas: Personas):
    manager = personas.manager
    outsider_event = make_event(personas.outsider, "2026-06-10 09:00")
    invited = make_event(personas.administrator, "2026-06-11 09:00")
    invite(invited, personas.outsider)
    make_event(personas.teammate, "2026-06-12 09:00")
    people = cal.parse_people(manager, "users", f"{personas.outsider.pk}")
    rows, _capped = cal.events_of_people(manager, people, *JUNE)
    assert ids(rows) == [outsider_event.pk, invited.pk]


@pytest.mark.parametrize(
    "who,users",
    [
        ("nobody", ""),
        ("users", ""),
        ("users", "abc"),
        ("users", "1,,x"),
        ("users", "99999999999999999999999"),
        ("users", ",".join(str(n) for n in range(1, 30))),
    ],
)
def test_bad_people_are_refused(personas: Personas, who: str, users: str):
    with pytest.raises(cal.CalendarError):
        cal.parse_people(personas.manager, who, users)


def test_a_salesperson_cannot_choose_an_outsider_nor_another_company(personas: Personas):
    me = personas.salesperson
    chooseable = {p.id for p in cal.visible_people(me)}
    assert chooseable == {me.pk, personas.teammate.pk, personas.manager.pk}
    for stranger in (personas.outsider, personas.other):
        with pytest.raises(cal.CalendarError):
            cal.parse_people(me, "users", str(stranger.pk))
    # A company-wide scope chooses anyone of the company, still nobody of the other one.
    everyone = {p.id for p in cal.visible_people(personas.reader)}
    assert personas.outsider.pk in everyone and personas.other.pk not in everyone


# Access --------------------------------------------------------------------------------------


def test_rows_equal_what_events_for_user_sees_for_each_persona(personas: Personas):
    """The calendar's flattened visibility test gives the same events as ``events_for_user``."""
    people = [personas.salesperson, personas.teammate, personas.manager, personas.outsider]
    made = []
    for n, person in enumerate(people):
        made.append(make_event(person, f"2026-06-1{n} 09:00"))
        other = make_event(person, f"2026-06-2{n} 09:00", created_by=personas.administrator)
        invite(other, people[(n + 1) % len(people)])
    make_event(None, "2026-06-05 09:00", company=personas.company, team=personas.south)
    foreign = make_event(personas.other, "2026-06-10 10:00")
    invite(foreign, personas.salesperson)  # a bad row: invitations never cross companies
    for viewer in personas.all.values():
        everyone = [p.id for p in cal.visible_people(viewer)]
        rows, _capped = cal.events_of_people(viewer, everyone, *JUNE)
        expected = set(
            events_for_user(viewer)
            .filter(end__gte=JUNE[0], start__lt=JUNE[1])
            .filter(assigned_to_id__in=everyone)
            .values_list("id", flat=True)
        ) | set(
            events_for_user(viewer)
            .filter(end__gte=JUNE[0], start__lt=JUNE[1], attendees__user_id__in=everyone)
            .values_list("id", flat=True)
        )
        assert set(ids(rows)) == expected, viewer
        if viewer != personas.other:
            assert foreign.pk not in ids(rows), viewer
    rows, _capped = cal.events_of_people(personas.other, [personas.other.pk], *JUNE)
    assert ids(rows) == [foreign.pk]


def test_an_outsider_sees_only_what_they_are_invited_to_in_a_colleagues_calendar(
    personas: Personas,
):
    hidden = make_event(personas.salesperson, "2026-06-10 09:00")
    shared = make_event(personas.salesperson, "2026-06-11 09:00")
    invite(shared, personas.outsider)
    # The outsider may only open their own calendar (team scope, team of one)...
    assert [p.id for p in cal.visible_people(personas.outsider)] == [personas.outsider.pk]
    # ...and even asked directly, the selector filters on their access.
    rows, _capped = cal.events_of_people(personas.outsider, [personas.salesperson.pk], *JUNE)
    assert ids(rows) == [shared.pk]
    assert hidden.pk not in ids(rows)


def test_the_rows_take_one_query(personas: Personas, django_assert_num_queries):
    me = personas.salesperson
    for day in range(1, 9):
        event = make_event(me, f"2026-06-0{day} 10:00")
        invite(event, personas.teammate)
    cal.actor_for(me)  # the actor is read once per request, before
    with django_assert_num_queries(1):  # the union of assigned and invited rows
        rows, _capped = cal.events_of_people(me, [me.pk, personas.teammate.pk], *JUNE)
    assert len(rows) == 8


# Periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,end",
    [
        ("", ""),
        ("2026-06-01", ""),
        ("nonsense", "2026-07-01"),
        ("2026-13-01", "2026-14-01"),
        ("2026-07-01", "2026-06-01"),
        ("2026-06-01", "2026-06-01"),
        ("2026-01-01", "2026-12-31"),
        ("0001-01-01", "0001-01-20"),
        ("9999-12-01", "9999-12-20"),
        ("2026-06-01T00:00:00+99:00", "2026-06-10"),
        ("x" * 5000, "2026-06-10"),
    ],
)
def test_bad_periods_are_refused(start: str, end: str):
    with pytest.raises(cal.CalendarError):
        cal.parse_period(start, end)


def test_fullcalendar_periods_are_read():
    start, end = cal.parse_period("2026-05-25T00:00:00+02:00", "2026-07-06T00:00:00+02:00")
    assert end - start == timedelta(days=42)
    # An unencoded "+" arrives as a space.
    start, _end = cal.parse_period("2026-05-25T00:00:00 02:00", "2026-06-01")
    assert start == at("2026-05-25 00:00")
    start, _end = cal.parse_period("2026-05-25T00:00:00Z", "2026-06-01")
    assert start.utcoffset() == timedelta(0)
