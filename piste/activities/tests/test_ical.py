"""An event's .ics download: a VCALENDAR a calendar application reads back (stable UID, times,
all-day dates, plain-text description, status, type, link), for whoever may see the event only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import icalendar
import pytest

from piste.activities.ical import plain_text
from piste.activities.models import EventKind, EventStatus
from piste.activities.tests.test_calendar_selectors import invite, make_event
from piste.activities.views_ical import ics_filename
from piste.core.testing import Personas, en_client


def ics_url(pk: object) -> str:
    return f"/events/{pk}/ics/"


def parse(body: bytes) -> Any:
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_an_event_downloads_as_ics(personas: Personas):
    event = make_event(
        personas.salesperson, "2026-06-10 09:30", "2026-06-10 11:00",
        subject="Démo / atelier: Morel", location="12 rue des Lilas, Lyon",
        description="<p>Ordre du jour&nbsp;:</p><ul><li>Devis <strong>2026</strong></li>"
        "<li>Planning</li></ul>",
    )  # fmt: skip
    response = en_client(personas.salesperson).get(ics_url(event.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "Démo" in response["Content-Disposition"] or "D%C3%A9mo" in response["Content-Disposition"]
    )
    vevent = parse(response.content)
    assert str(vevent["uid"]) == f"event-{event.pk}@testserver"
    assert vevent.decoded("dtstart") == datetime(2026, 6, 10, 7, 30, tzinfo=UTC)
    assert vevent.decoded("dtend") == datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    assert str(vevent["summary"]) == "Démo / atelier: Morel"
    assert str(vevent["location"]) == "12 rue des Lilas, Lyon"
    assert str(vevent["description"]) == "Ordre du jour :\nDevis 2026\nPlanning"
    assert str(vevent["status"]) == "CONFIRMED"
    assert vevent["categories"].cats == ["Meeting"]
    assert str(vevent["url"]) == f"http://testserver/events/{event.pk}/"
    assert "dtstamp" in vevent


def test_all_day_cancelled_events_are_dates_and_cancelled(personas: Personas):
    event = make_event(
        personas.salesperson, "2026-06-12 00:00", "2026-06-13 00:00", all_day=True,
        status=EventStatus.CANCELLED, kind=EventKind.CALL,
    )  # fmt: skip
    vevent = parse(en_client(personas.salesperson).get(ics_url(event.pk)).content)
    assert vevent.decoded("dtstart") == date(2026, 6, 12)
    # RFC 5545: the end of an all-day span is the day after its last day.
    assert vevent.decoded("dtend") == date(2026, 6, 14)
    assert str(vevent["status"]) == "CANCELLED"
    assert vevent["categories"].cats == ["Call"]


def test_the_uid_stays_the_same_when_the_event_moves(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:30")
    client = en_client(personas.salesperson)
    first = parse(client.get(ics_url(event.pk)).content)
    event.subject = "Renamed"
    event.save()
    second = parse(client.get(ics_url(event.pk)).content)
    assert first["uid"] == second["uid"]


@pytest.mark.parametrize(
    "persona,status",
    [
        ("salesperson", 200), ("teammate", 200), ("manager", 200), ("reader", 200),
        ("outsider", 404), ("other", 404),
    ],
)  # fmt: skip
def test_who_may_download(personas: Personas, persona: str, status: int):
    event = make_event(personas.salesperson, "2026-06-10 09:30")
    assert en_client(personas.all[persona]).get(ics_url(event.pk)).status_code == status


def test_an_invited_outsider_may_download(personas: Personas):
    event = make_event(personas.salesperson, "2026-06-10 09:30")
    invite(event, personas.outsider)
    assert en_client(personas.outsider).get(ics_url(event.pk)).status_code == 200


def test_unknown_events_and_anonymous_users(personas: Personas):
    assert en_client(personas.salesperson).get(ics_url(999999)).status_code == 404
    response = en_client().get(ics_url(1))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "subject,name",
    [
        ("Démo", "Démo.ics"),
        ("a/b\\c:d", "a b c d.ics"),
        ("\x00\r\n", "event.ics"),
        ("...", "event.ics"),
        ("x" * 300, "x" * 100 + ".ics"),
    ],
)
def test_file_names_are_safe(subject: str, name: str):
    assert ics_filename(subject) == name


def test_plain_text_of_rich_text():
    assert plain_text("<div>Un<br>Deux</div><div>&lt;Trois&gt;</div>") == "Un\nDeux\n<Trois>"
    assert plain_text("") == ""


def test_text_is_escaped_and_long_lines_folded_as_rfc_5545_says(personas: Personas):
    subject = "Réunion; budget, « 2026 » \\ suite " + "é" * 120
    description = "<p>Ligne 1</p><p>Ligne 2, avec; tout\x01</p>" + "<p>" + "x" * 300 + "</p>"
    event = make_event(
        personas.salesperson, "2026-06-10 09:30", subject=subject[:200], description=description
    )
    body = en_client(personas.salesperson).get(ics_url(event.pk)).content
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "unfolded line"
    assert body.endswith(b"END:VCALENDAR\r\n")
    vevent = parse(body)
    assert str(vevent["summary"]) == subject[:200]
    assert str(vevent["description"]) == "Ligne 1\nLigne 2, avec; tout\n" + "x" * 300
