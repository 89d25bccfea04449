"""The event endpoints of the REST API: the event pages' access rules per persona (guests
included), status and move through the services, pinned list, no 500 on bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from piste.activities.models import Event, EventReminder
from piste.activities.services import Guests, Reminders
from piste.activities.tests.factories import at, make_event
from piste.core.testing import Personas
from piste.partners.tests.api_client import ApiClient
from piste.partners.tests.factories import make_partner

pytestmark = pytest.mark.django_db

SEES = {
    "administrator": True,
    "manager": True,
    "salesperson": True,
    "teammate": True,
    "outsider": False,
    "marketing": True,
    "reader": True,
    "other": False,
}
CHANGES = {"administrator", "manager", "salesperson", "teammate", "marketing"}
# Deleting takes the right to delete, or being the event's creator or assignee.
DELETES = {"administrator", "manager", "salesperson"}


@pytest.fixture
def event(personas: Personas) -> Event:
    partner = make_partner(personas.salesperson, name="Morel")
    return make_event(personas.salesperson, partner, subject="Visite", external_id="E-1")


def _iso(moment) -> str:
    return moment.isoformat()


@pytest.mark.parametrize("who", list(SEES))
def test_read_update_status_delete_per_persona(personas: Personas, event: Event, who: str) -> None:
    api = ApiClient(personas.all[who])
    read = api.get(f"/events/{event.pk}")
    assert read.status_code == (200 if SEES[who] else 404)
    if SEES[who]:
        assert read.json()["external_id"] == "E-1"
        assert read.json()["partner"] == event.partner_id
    listed = {row["id"] for row in api.get("/events").json()["items"]}
    assert (event.pk in listed) == SEES[who]
    expected = 200 if who in CHANGES else 404 if not SEES[who] else 403
    patched = api.patch(f"/events/{event.pk}", {"version": event.version, "location": "Lyon"})
    assert patched.status_code == expected
    status = api.post(f"/events/{event.pk}/status", {"status": "done"})
    assert status.status_code == expected
    deleted = api.delete(f"/events/{event.pk}")
    assert deleted.status_code == (204 if who in DELETES else 404 if not SEES[who] else 403)


def test_a_guest_sees_the_event_but_changes_it_only_seeing_its_record(
    personas: Personas, event: Event
) -> None:
    from piste.activities.services import event_set_guests
    from piste.activities.tests.factories import actor

    event_set_guests(
        actor=actor(personas.salesperson), event=event, guests=Guests(users=(personas.outsider,))
    )
    api = ApiClient(personas.outsider)
    assert api.get(f"/events/{event.pk}").status_code == 200
    response = api.patch(f"/events/{event.pk}", {"version": event.version, "location": "X"})
    assert response.status_code == 403


def test_create_linked_to_a_record_the_caller_sees(personas: Personas) -> None:
    partner = make_partner(personas.salesperson)
    hidden = make_partner(personas.outsider, name="Hidden")
    api = ApiClient(personas.teammate)
    start = at(48)
    created = api.post(
        "/events",
        {"subject": "Appel", "kind": "call", "start": _iso(start), "partner": partner.pk},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["call_direction"] == "outbound"
    assert body["partner"] == partner.pk
    assert body["status"] == "planned"
    refused = api.post("/events", {"subject": "X", "start": _iso(start), "partner": hidden.pk})
    assert refused.status_code == 400
    assert "partner" in refused.json()["errors"]
    both = api.post(
        "/events",
        {"subject": "X", "start": _iso(start), "partner": partner.pk, "lead": 1},
    )
    assert both.status_code == 400
    assert (
        ApiClient(personas.reader)
        .post("/events", {"subject": "X", "start": _iso(start)})
        .status_code
        == 403
    )
    assert not Event.objects.filter(subject="X").exists()


def test_assignee_of_another_company_is_refused(personas: Personas) -> None:
    response = ApiClient(personas.salesperson).post(
        "/events", {"subject": "X", "start": _iso(at(2)), "assigned_to": personas.other.pk}
    )
    assert response.status_code == 400
    assert "assigned_to" in response.json()["errors"]


def test_end_before_start_and_years_out_of_range(personas: Personas) -> None:
    api = ApiClient(personas.salesperson)
    start = at(2)
    early = api.post(
        "/events", {"subject": "X", "start": _iso(start), "end": _iso(start - timedelta(hours=1))}
    )
    assert early.status_code == 400
    assert "end" in early.json()["errors"]
    far = api.post("/events", {"subject": "X", "start": "9999-12-31T23:00:00-05:00"})
    assert far.status_code in (400, 422)


def test_conflict_on_a_stale_version(personas: Personas, event: Event) -> None:
    api = ApiClient(personas.salesperson)
    first = api.patch(f"/events/{event.pk}", {"version": event.version, "subject": "A"})
    assert first.status_code == 200
    stale = api.patch(f"/events/{event.pk}", {"version": event.version, "subject": "B"})
    assert stale.status_code == 409


def test_move_keeps_the_duration_and_moves_reminders(personas: Personas) -> None:
    event = make_event(
        personas.salesperson, start=at(24), end=at(26), reminders=Reminders(minutes=(15,))
    )
    api = ApiClient(personas.salesperson)
    new_start = at(72)
    moved = api.post(
        f"/events/{event.pk}/move", {"version": event.version, "start": _iso(new_start)}
    )
    assert moved.status_code == 200, moved.content
    event.refresh_from_db()
    assert event.start == new_start
    assert event.end == new_start + timedelta(hours=2)
    reminder = EventReminder.objects.get(event=event)
    assert reminder.remind_at == new_start - timedelta(minutes=15)
    stale = api.post(f"/events/{event.pk}/move", {"version": 1, "start": _iso(at(80))})
    assert stale.status_code == 409
    assert (
        ApiClient(personas.reader)
        .post(f"/events/{event.pk}/move", {"version": event.version, "start": _iso(at(80))})
        .status_code
        == 403
    )


def test_status_done_then_cancelled(personas: Personas, event: Event) -> None:
    api = ApiClient(personas.salesperson)
    done = api.post(f"/events/{event.pk}/status", {"status": "done"})
    assert done.json()["status"] == "done"
    assert done.json()["done_at"]
    cancelled = api.post(f"/events/{event.pk}/status", {"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["done_at"] is None
    assert api.post(f"/events/{event.pk}/status", {"status": "lost"}).status_code == 422


def test_filters(personas: Personas, event: Event) -> None:
    task = make_event(personas.manager, kind="task", subject="Relance", start=at(200))
    api = ApiClient(personas.manager)

    def ids(**params: object) -> set[int]:
        response = api.get("/events", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(kind="task") == {task.pk}
    assert ids(partner=event.partner_id) == {event.pk}
    assert ids(assigned_to=personas.salesperson.pk) == {event.pk}
    assert ids(start_from=_iso(at(100))) == {task.pk}
    assert ids(start_to=_iso(at(100))) == {event.pk}
    assert ids(status="done") == set()
    assert ids(external_id="E-1") == {event.pk}


def test_list_query_count_is_pinned(personas: Personas, django_assert_num_queries) -> None:
    for i in range(4):
        make_event(personas.salesperson, subject=f"E{i}")
    api = ApiClient(personas.salesperson)
    api.get("/events")  # writes the token's last use once
    # 1 the token and its user, 2 the memberships, 3 the teams (actor), 4 the page (the
    # scope and invitations are subqueries of it).
    with django_assert_num_queries(4):
        response = api.get("/events", {"limit": 3})
    assert len(response.json()["items"]) == 3


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/events", {"subject": "X", "start": "not a date"}),
        ("post", "/events", {"subject": "X", "start": "2026-01-01T10:00:00", "priority": 9}),
        ("post", "/events", {"subject": "X" * 1_000_000, "start": "2026-01-01T10:00:00"}),
        ("post", "/events", {"subject": "X", "start": "1500-01-01T10:00:00"}),
        ("post", "/events", {"subject": "X", "start": "2026-01-01T10:00:00", "lead": 2**64}),
        ("post", "/events/1/move", {"version": 1, "start": "9999-12-31T23:59:59-12:00"}),
        ("get", "/events?start_from=9999-12-31T23:59:59-12:00", None),
        ("get", "/events?start_from=yesterday", None),
        ("get", "/events?cursor=MA", None),
        ("get", "/events/18446744073709551616", None),
    ],
)
def test_bad_input_is_a_clear_json_error(
    personas: Personas, method: str, path: str, body: object
) -> None:
    make_event(personas.administrator)
    api = ApiClient(personas.administrator)
    response = api.get(path) if method == "get" else api.post(path, body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]
