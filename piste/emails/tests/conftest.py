"""Fixtures of the email tests: a real SMTP server on loopback (aiosmtpd), the job queue run
in this process, and one record of each kind owned by the salesperson persona."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from piste.core.access import actor_for
from piste.core.testing import Personas, SmtpCollector
from piste.leads.tests.factories import make_lead
from piste.opportunities import services as opportunity_services
from piste.partners.tests.factories import make_contact, make_partner


@pytest.fixture
def smtp(smtp: SmtpCollector, settings) -> SmtpCollector:
    """The real loopback SMTP server of conftest.py, with a known sender: emails sent without
    an account of their own use Django's mail settings."""
    settings.DEFAULT_FROM_EMAIL = "Piste <piste@example.test>"
    return smtp


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
