"""Schemathesis over the whole ``/api/v1/openapi.json``: every operation, with data that fits
the schema and data that does not, answered without a server error and as documented (status
code, content type, body schema).

It runs in-process through Django's WSGI handler (no server, no network), inside the test's
transaction, on SQLite and PostgreSQL like any other test, as an administrator's API token.
About ten examples per operation and generation mode keep it under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from piste.api.api import api
from piste.api.tests.helpers import token_for
from piste.core.testing import make_personas
from piste.leads.models import LeadSource, LostReason
from piste.leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app(settings: Any) -> Iterator[WSGIHandler]:
    """Django's WSGI application, kept inside the test's transaction: the signals that close
    database connections between requests are off while it runs (as Django's test client does)."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _data() -> str:
    """A company with records to find, and its administrator's token."""
    people = make_personas()
    for i in range(3):
        make_lead(people.salesperson, last_name=f"Lead {i}")
    LeadSource.objects.create(company=people.company, name="Salon")
    LostReason.objects.create(company=people.company, name="Prix")
    return token_for(people.administrator)


def test_the_whole_api_answers_as_documented_and_never_fails(wsgi_app: WSGIHandler) -> None:
    secret = _data()
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 20  # the leads', the referentials' and the other apps' endpoints
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call_and_validate(app=wsgi_app, headers=headers, checks=CHECKS)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                run()
            except Exception as exc:  # gather every operation's failure, then report them all
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached the endpoints, not only the authentication: successes and refusals.
    assert statuses.get(200, 0) > 0 and statuses.get(422, 0) > 0, statuses
    print(statuses)
