"""Emails through the job queue in its production mode: Redis storage and a real consumer (not
huey's immediate mode), delivering to a real SMTP server on loopback; a server that refuses
is tried again by the consumer, then the email is marked failed with the reason."""

from __future__ import annotations

import time

import pytest

from piste.core.testing import free_port
from piste.emails.models import Email
from piste.emails.tasks import send_email
from piste.emails.tests.support import parsed, pdf, queue
from tests.test_jobs import _consume, redis_huey  # noqa: F401 (a fixture)

State = Email.State


def _wait_for(email: Email, states: set[str], timeout: float = 20) -> Email:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        email.refresh_from_db()
        if email.state in states:
            return email
        time.sleep(0.1)
    raise AssertionError(f"email still {email.state} after {timeout} s")


@pytest.fixture
def queued(personas, records, transactional_db):
    """An email written from the lead, queued (the on-commit enqueue is left to the test)."""
    return queue(
        personas.salesperson,
        records["lead"],
        to=["jeanne@lead.test"],
        attachments=[pdf("devis.pdf", b"%PDF-1.4 le devis")],
    )


def test_a_redis_consumer_delivers_the_email_with_its_attachment(
    redis_huey,  # noqa: F811
    smtp,
    queued,
):
    # The application's task body, registered on a queue of the test's own (Redis, not
    # immediate): the consumer runs it in its own thread and database connection.
    task = redis_huey.task(retries=1, retry_delay=0, context=True)(send_email.func)
    task(queued.pk)
    assert redis_huey.pending_count() == 1
    for _consumer in _consume(redis_huey):
        email = _wait_for(queued, {State.SENT, State.FAILED})
    assert email.state == State.SENT and email.attempts == 1
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["jeanne@lead.test"]
    attachments = {
        part.get_filename(): part.get_payload(decode=True)
        for part in parsed(envelope).walk()
        if part.get_filename()
    }
    assert attachments == {"devis.pdf": b"%PDF-1.4 le devis"}


def test_a_redis_consumer_retries_a_refusing_server_then_marks_the_email_failed(
    redis_huey,  # noqa: F811
    settings,
    queued,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    task = redis_huey.task(retries=2, retry_delay=0, context=True)(send_email.func)
    task(queued.pk)
    for _consumer in _consume(redis_huey):
        email = _wait_for(queued, {State.FAILED, State.SENT})
    # The first attempt and the consumer's two retries.
    assert email.state == State.FAILED and email.attempts == 3
    assert email.last_error
