"""Event reminders by email through a real SMTP server on loopback: sent once at the right time
(not before, not twice), sent again after the event moves, never for a cancelled event, and
once only when two workers run at the same minute."""

from __future__ import annotations

import email
import email.policy
import threading
from datetime import timedelta

import pytest
from django.db import connection

from piste.activities import services
from piste.activities.models import EventReminder
from piste.activities.services_reminders import _claim, reminders_send_due
from piste.activities.tasks import send_event_reminders
from piste.activities.tests.factories import actor, at, make_event, reload
from piste.core.testing import free_port

# The ``smtp`` fixture (a real SMTP server on loopback) is in conftest.py.


def message_of(envelope):
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def planned(personas, hours: float = 2, minutes: int = 30, **data):
    """A meeting ``hours`` from now with a reminder ``minutes`` before, for the salesperson."""
    return make_event(
        personas.salesperson,
        subject=data.pop("subject", "Démo produit"),
        start=at(hours),
        reminders=services.Reminders(minutes=(minutes,)),
        **data,
    )


def test_reminder_is_sent_once_at_its_time_not_before(personas, smtp):
    event = planned(personas, hours=2, minutes=30, location="Lyon")
    due = event.start - timedelta(minutes=30)
    assert reminders_send_due(now=due - timedelta(minutes=1)) == 0
    assert smtp.envelopes == []
    assert reminders_send_due(now=due) == 1
    assert reminders_send_due(now=due + timedelta(minutes=1)) == 0
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["salesperson@example.test"]
    message = message_of(envelope)
    assert "Démo produit" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Lyon" in body
    assert f"/events/{event.pk}/" in body
    assert EventReminder.objects.get().sent_at == due


def test_reminder_is_sent_again_after_the_event_moves(personas, smtp):
    event = planned(personas, hours=2, minutes=30)
    reminders_send_due(now=event.start - timedelta(minutes=30))
    services.event_update(
        actor=actor(personas.salesperson), event=event, data={"start": at(5), "end": at(6)},
        version=reload(event).version,
    )  # fmt: skip
    # Not at the old time, at the new one.
    assert reminders_send_due(now=at(2) - timedelta(minutes=30)) == 0
    assert reminders_send_due(now=at(4.5)) == 1
    assert len(smtp.envelopes) == 2


def test_reminder_of_a_cancelled_event_is_not_sent(personas, smtp):
    event = planned(personas)
    services.event_set_status(actor=actor(personas.salesperson), event=event, status="cancelled")
    assert reminders_send_due(now=event.start - timedelta(minutes=5)) == 0
    assert smtp.envelopes == []


def test_reminder_of_an_event_already_over_is_not_sent(personas, smtp):
    event = planned(personas)
    assert reminders_send_due(now=event.end + timedelta(minutes=1)) == 0
    assert smtp.envelopes == []


def test_reminder_for_all_reaches_each_user_once(personas, smtp):
    event = make_event(
        personas.salesperson,
        start=at(3),
        guests=services.Guests(users=(personas.teammate, personas.manager)),
        reminders=services.Reminders(minutes=(60,), for_all=True),
    )
    assert reminders_send_due(now=event.start) == 3
    assert reminders_send_due(now=event.start) == 0
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
        "manager@example.test", "salesperson@example.test", "teammate@example.test",
    ]  # fmt: skip


def test_a_refused_mail_is_tried_again_next_run(personas, settings):
    event = planned(personas)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    assert reminders_send_due(now=event.start) == 0
    assert EventReminder.objects.get().sent_at is None


def test_a_reminder_is_claimed_by_one_worker_only(personas):
    planned(personas)
    reminder = EventReminder.objects.get()
    now = reminder.remind_at
    assert _claim(reminder, now) is True
    assert _claim(reminder, now) is False


def test_the_periodic_task_sends_the_due_reminders(personas, smtp, monkeypatch):
    event = planned(personas, hours=0.25, minutes=30)  # due already
    assert send_event_reminders.call_local() == 1
    assert len(smtp.envelopes) == 1
    assert reload(event).reminders.get().sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_minute_send_each_reminder_once(smtp):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (the SQLite test base is in memory)")
    from piste.core.testing import make_personas

    personas = make_personas()
    for n in range(12):
        planned(personas, subject=f"Réunion {n}")
    now = at(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            counts.append(reminders_send_due(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 12
    assert len(smtp.envelopes) == 12
