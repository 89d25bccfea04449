"""Fixtures of the email tests: a real SMTP server on loopback (aiosmtpd), the job queue run
in this process, and one record of each kind owned by the salesperson persona."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from piste.core.access import actor_for
from piste.core.testing import Personas
from piste.leads.tests.factories import make_lead
from piste.opportunities import services as opportunity_services
from piste.partners.tests.factories import make_contact, make_partner


class Collector:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Collector]:
    """A real SMTP server on loopback, and Django's SMTP backend pointed at it (emails sent
    without an account of their own use these settings)."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Piste <piste@example.test>"
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def immediate_huey() -> Iterator[Any]:
    """Queued tasks run at once, in this process; retries wait in the in-memory schedule."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.flush()
        HUEY.immediate = previous


@pytest.fixture
def records(personas: Personas) -> dict[str, Any]:
    """A lead, a partner, a contact and an opportunity of the salesperson, each with an email."""
    user = personas.salesperson
    lead = make_lead(user, first_name="Jeanne", last_name="Martin", email="jeanne@lead.test")
    partner = make_partner(user, name="Boulangeries Morel", email="contact@morel.test")
    contact = make_contact(user, partner, first_name="Paul", last_name="Morel",
                           email="paul@morel.test")  # fmt: skip
    actor = actor_for(user)
    assert actor is not None
    opportunity = opportunity_services.opportunity_create(
        actor=actor, data={"partner": partner, "name": "Refonte du site"}
    )
    return {"lead": lead, "partner": partner, "contact": contact, "opportunity": opportunity}
