"""The calendar page and its JSON: what each persona gets, bad parameters answered 400 with a
message (never a 500), the plain list of the month's events, moves and resizes by drag and drop
(rights, version conflicts, impossible times, notes, reminders), and pinned query counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from piste.activities.models import Event, EventKind, EventReminder, EventStatus
from piste.activities.tests.test_calendar_selectors import at, invite, make_event
from piste.core.testing import Personas, en_client

PAGE = "/calendar/"
EVENTS = "/calendar/events/"
MOVE = "/calendar/move/"
JUNE = {"start": "2026-06-01T00:00:00+02:00", "end": "2026-07-06T00:00:00+02:00"}


def fetch(client: Any, **params: str) -> Any:
    return client.get(EVENTS, {**JUNE, **params}, HTTP_ACCEPT="application/json")


def event_ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [int(e["id"]) for e in response.json()["events"]]


# The page ------------------------------------------------------------------------------------


def test_the_page_lists_the_months_events_as_links(personas: Personas):
    me = personas.salesperson
    event = make_event(me, "2026-06-10 09:30", subject="Visite Boulangerie Morel")
    cancelled = make_event(me, "2026-06-11 09:30", subject="Annulé", status=EventStatus.CANCELLED)
    make_event(me, "2026-07-10 09:30", subject="Juillet")
    response = en_client(me).get(PAGE, {"date": "2026-06-15"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="csp-nonce"' in html
    assert f'href="/events/{event.pk}/"' in html and "Visite Boulangerie Morel" in html
    assert f'href="/events/{cancelled.pk}/"' in html and "ev-cancelled" in html
    assert "Juillet" not in html
    assert "Events of June 2026" in html
    assert 'data-initial-date="2026-06-01"' in html
    assert "/events/new/" in html


@pytest.mark.parametrize(
    "params",
    [{"date": "nonsense"}, {"date": "0001-01-01"}, {"who": "users", "users": "x"}, {"who": "?"}],
)
def test_the_page_shrugs_off_bad_parameters(personas: Personas, params: dict[str, str]):
    response = en_client(personas.salesperson).get(PAGE, params)
    assert response.status_code == 200


def test_the_page_needs_a_signed_in_user():
    response = en_client().get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_query_count_is_pinned(personas: Personas, django_assert_num_queries):
    me = personas.salesperson
    for day in range(1, 9):
        make_event(me, f"2026-06-0{day} 10:00")
    client = en_client(me)
    client.get(PAGE)
    # session, user, memberships, teams (the actor); the people the user may choose; the
    # month's events (one union).
    with django_assert_num_queries(6):
        response = client.get(PAGE, {"date": "2026-06-01"})
    assert response.content.decode().count('data-testid="period-event"') == 8


# The JSON ------------------------------------------------------------------------------------


def test_events_json_for_fullcalendar(personas: Personas):
    me = personas.salesperson
    timed = make_event(me, "2026-06-10 09:30", "2026-06-10 11:00", subject="Démo")
    all_day = make_event(me, "2026-06-12 00:00", "2026-06-13 00:00", all_day=True, subject="Salon")
    note = make_event(me, "2026-06-14 09:00", "2026-06-14 09:00", kind=EventKind.NOTE)
    late = make_event(me, "2026-06-01 09:00", kind=EventKind.TASK, subject="Relancer")
    response = fetch(en_client(me))
    by_id = {int(e["id"]): e for e in response.json()["events"]}
    # Wall-clock time of Piste's zone, no offset: the calendar is set to that zone by name.
    assert by_id[timed.pk]["start"] == "2026-06-10T09:30:00"
    assert by_id[timed.pk]["end"] == "2026-06-10T11:00:00"
    assert by_id[timed.pk]["url"] == f"/events/{timed.pk}/"
    assert by_id[timed.pk]["extendedProps"]["version"] == 1
    assert by_id[timed.pk]["classNames"] == ["ev-meeting", "ev-planned"]
    # All day from the 12th to the 13th: FullCalendar's end is the day after the last one.
    assert (by_id[all_day.pk]["start"], by_id[all_day.pk]["end"]) == ("2026-06-12", "2026-06-14")
    assert by_id[all_day.pk]["allDay"] is True
    assert by_id[note.pk]["durationEditable"] is False
    if at("2026-06-01 10:00") < timezone.now():
        assert "ev-late" in by_id[late.pk]["classNames"]
    assert response.json()["capped"] is False
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "persona,who,sees",
    [
        ("salesperson", "mine", {"salesperson"}),
        ("salesperson", "team", {"salesperson", "teammate", "manager"}),
        ("manager", "team", {"salesperson", "teammate", "manager"}),
        ("outsider", "team", {"outsider"}),
        ("reader", "mine", set()),
        ("other", "mine", set()),
    ],
)
def test_whose_events_each_persona_gets(personas: Personas, persona: str, who: str, sees: set):
    made = {
        name: make_event(personas.all[name], "2026-06-10 09:00").pk
        for name in ("salesperson", "teammate", "manager", "outsider")
    }
    got = event_ids(fetch(en_client(personas.all[persona]), who=who))
    assert set(got) == {made[name] for name in sees}


def test_chosen_users_and_their_invitations(personas: Personas):
    target = make_event(personas.outsider, "2026-06-10 09:00")
    invited = make_event(personas.administrator, "2026-06-11 09:00")
    invite(invited, personas.teammate)
    make_event(personas.salesperson, "2026-06-12 09:00")
    users = f"{personas.outsider.pk},{personas.teammate.pk}"
    got = event_ids(fetch(en_client(personas.manager), who="users", users=users))
    assert got == [target.pk, invited.pk]


def test_another_companys_events_never_show(personas: Personas):
    foreign = make_event(personas.other, "2026-06-10 09:00")
    invite(foreign, personas.salesperson)
    for persona in ("administrator", "salesperson"):
        client = en_client(personas.all[persona])
        assert foreign.pk not in event_ids(fetch(client))
        response = fetch(client, who="users", users=str(personas.other.pk))
        assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"start": "bad"},
        {"end": ""},
        {"start": "2026-01-01", "end": "2026-12-31"},
        {"start": "2026-07-06", "end": "2026-06-01"},
        {"start": "2026-06-01T00:00:00+25:00"},
        {"who": "everyone"},
        {"who": "users"},
        {"who": "users", "users": "1;2"},
        {"who": "users", "users": "99999999999999999999999999"},
        {"who": "users", "users": ",".join(str(n) for n in range(100))},
    ],
)
def test_bad_parameters_get_400_json(personas: Personas, params: dict[str, str]):
    response = fetch(en_client(personas.salesperson), **params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_huge_range_says_how_long_a_period_may_be(personas: Personas):
    response = fetch(en_client(personas.salesperson), start="2026-01-01", end="2026-12-31")
    assert response.json()["error"] == "A calendar shows at most 45 days at a time."


def test_the_json_query_count_is_pinned(personas: Personas, django_assert_num_queries):
    for day in range(1, 9):
        event = make_event(personas.salesperson, f"2026-06-0{day} 10:00")
        invite(event, personas.teammate)
    client = en_client(personas.manager)
    fetch(client)
    # session, user, memberships, teams (the actor); the events (one union).
    with django_assert_num_queries(5):
        assert len(event_ids(fetch(client, who="team"))) == 8
    # ...and the people the manager may choose, to check the chosen ones.
    users = f"{personas.salesperson.pk},{personas.teammate.pk}"
    with django_assert_num_queries(6):
        assert len(event_ids(fetch(client, who="users", users=users))) == 8


def test_a_busy_period_is_capped_with_a_message(personas: Personas, monkeypatch):
    from piste.activities import selectors_calendar

    monkeypatch.setattr(selectors_calendar, "EVENT_CAP", 2)
    for day in range(1, 5):
        make_event(personas.salesperson, f"2026-06-0{day} 10:00")
    body = fetch(en_client(personas.salesperson)).json()
    assert len(body["events"]) == 2 and body["capped"] is True
    assert "more than 2 events" in body["message"]


def test_the_json_needs_a_get(personas: Personas):
    response = en_client(personas.salesperson).post(EVENTS, JUNE)
    assert response.status_code == 405


# Moves ---------------------------------------------------------------------------------------


def move(client: Any, event: Event, **data: Any) -> Any:
    fields = {"pk": event.pk, "version": event.version, "all_day": "false", **data}
    return client.post(MOVE, fields, HTTP_ACCEPT="application/json")


def test_a_drag_moves_the_event_and_its_reminders_follow(personas: Personas):
    me = personas.salesperson
    event = make_event(me, "2026-06-10 09:00", "2026-06-10 10:00")
    EventReminder.objects.create(
        event=event, user=me, minutes_before=15, remind_at=at("2026-06-10 08:45"),
        sent_at=at("2026-06-10 08:45"),
    )  # fmt: skip
    response = move(
        en_client(me), event, start="2026-06-12T14:00:00+02:00", end="2026-06-12T15:30:00+02:00"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and "now starts on" in body["message"]
    assert body["event"]["extendedProps"]["version"] == 2
    event.refresh_from_db()
    assert (event.start, event.end, event.version) == (
        at("2026-06-12 14:00"),
        at("2026-06-12 15:30"),
        2,
    )
    reminder = EventReminder.objects.get(event=event)
    assert reminder.remind_at == at("2026-06-12 13:45") and reminder.sent_at is None


def test_a_move_without_end_keeps_the_duration(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00", "2026-06-10 10:30")
    move(en_client(personas.salesperson), event, start="2026-06-11T09:00:00+02:00")
    event.refresh_from_db()
    assert event.end - event.start == timedelta(minutes=90)


def test_an_all_day_event_moves_by_days(personas: Personas):
    event = make_event(
        personas.salesperson, "2026-06-10 00:00", "2026-06-11 23:59:59", all_day=True
    )
    response = move(
        en_client(personas.salesperson), event, start="2026-06-15", end="2026-06-18",
        all_day="true",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    event.refresh_from_db()
    # From the start of the first day to the end of the last, as the event form keeps them.
    assert (event.start, event.end) == (at("2026-06-15 00:00"), at("2026-06-17 23:59:59"))
    assert (response.json()["event"]["start"], response.json()["event"]["end"]) == (
        "2026-06-15",
        "2026-06-18",
    )


def test_an_all_day_event_moved_without_end_keeps_its_days(personas: Personas):
    event = make_event(
        personas.salesperson, "2026-06-10 00:00", "2026-06-12 23:59:59", all_day=True
    )
    move(en_client(personas.salesperson), event, start="2026-06-20", all_day="true")
    event.refresh_from_db()
    assert (event.start, event.end) == (at("2026-06-20 00:00"), at("2026-06-22 23:59:59"))


def test_a_note_keeps_its_end_on_its_start(personas: Personas):
    note = make_event(
        personas.salesperson, "2026-06-10 09:00", "2026-06-10 09:00", kind=EventKind.NOTE
    )
    move(
        en_client(personas.salesperson), note,
        start="2026-06-11T09:00:00+02:00", end="2026-06-11T11:00:00+02:00",
    )  # fmt: skip
    note.refresh_from_db()
    assert note.start == note.end == at("2026-06-11 09:00")


def _unchanged(event: Event) -> None:
    before = (event.start, event.end, event.version)
    event.refresh_from_db()
    assert (event.start, event.end, event.version) == before


def test_an_end_before_the_start_is_refused(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    response = move(
        en_client(personas.salesperson), event,
        start="2026-06-12T14:00:00+02:00", end="2026-06-12T13:00:00+02:00",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "The end cannot come before the start."}
    _unchanged(event)


def test_a_move_on_a_stale_version_is_a_409(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    Event.objects.filter(pk=event.pk).update(version=2)
    response = move(en_client(personas.salesperson), event, start="2026-06-12T14:00:00+02:00")
    assert response.status_code == 409
    assert "changed by someone else meanwhile" in response.json()["error"]
    event.version = 2
    _unchanged(event)


@pytest.mark.parametrize(
    "persona,status",
    [("teammate", 200), ("manager", 200), ("outsider", 404), ("reader", 403), ("other", 404)],
)
def test_who_may_move_an_event(personas: Personas, persona: str, status: int):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    response = move(en_client(personas.all[persona]), event, start="2026-06-12T14:00:00+02:00")
    assert response.status_code == status, response.content
    if status != 200:
        assert response.json()["ok"] is False and response.json()["error"]
        _unchanged(event)


def test_an_invited_outsider_may_move_it(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    invite(event, personas.outsider)
    response = move(en_client(personas.outsider), event, start="2026-06-12T14:00:00+02:00")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"pk": "abc"},
        {"pk": ""},
        {"pk": "99999999999999999999999"},
        {"start": "tomorrow"},
        {"start": ""},
        {"start": "2026-06-12T14:00:00+02:00", "end": "never"},
        {"start": "2026-06-12T14:00:00+02:00", "version": "x"},
        {"start": "2026-06-12T14:00:00+02:00", "version": ""},
        {"start": "2026-06-12", "all_day": "true"},
    ],
)
def test_malformed_moves_are_refused_in_json(personas: Personas, data: dict[str, str]):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    response = move(en_client(personas.salesperson), event, **data)
    assert 400 <= response.status_code < 500
    assert response.json()["ok"] is False and response.json()["error"]
    _unchanged(event)


def test_a_move_needs_a_post_and_a_csrf_token(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    client = en_client(personas.salesperson)
    assert client.get(MOVE, {"pk": event.pk}).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.salesperson)
    response = strict.post(MOVE, {"pk": event.pk, "start": "2026-06-12T14:00:00+02:00"})
    assert response.status_code == 403
    _unchanged(event)


def test_the_move_answer_is_json_parseable_everywhere(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:00")
    response = move(en_client(personas.salesperson), event, start="2026-06-12T14:00:00+02:00")
    assert json.loads(response.content)["event"]["id"] == str(event.pk)
