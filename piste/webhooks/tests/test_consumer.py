"""Webhooks through the job queue in its production mode: Redis storage and a real consumer
(not huey's immediate mode) fan a committed lead out and deliver it to a loopback receiver."""

from __future__ import annotations

import json
import time

import pytest

from piste.leads.tests.factories import make_lead
from piste.webhooks import tasks
from piste.webhooks.models import WebhookDelivery
from piste.webhooks.signing import verify
from piste.webhooks.tests.conftest import subscribe
from tests.test_jobs import _consume, redis_huey  # noqa: F401 (a fixture)


def _wait_for_delivery(timeout: float = 20) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.filter(state=WebhookDelivery.State.SUCCEEDED).first()
        if delivery is not None:
            return delivery
        time.sleep(0.1)
    raise AssertionError(f"no delivery succeeded after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_redis_consumer_fans_out_and_delivers_a_new_lead(
    redis_huey,  # noqa: F811
    personas,
    receiver,
    monkeypatch,
):
    from piste.webhooks import services

    subscription = subscribe(personas, receiver.url, ["lead.created"])
    # The application's task bodies on a queue of the test's own (Redis, not immediate).
    monkeypatch.setattr(tasks, "fan_out", redis_huey.task()(tasks.fan_out.func))
    monkeypatch.setattr(tasks, "deliver", redis_huey.task()(tasks.deliver.func))
    lead = make_lead(personas.salesperson, last_name="Morel")  # committed: the job is queued
    assert redis_huey.pending_count() == 1
    assert not WebhookDelivery.objects.exists()
    for _consumer in _consume(redis_huey):
        delivery = _wait_for_delivery()
    [request] = receiver.requests
    assert json.loads(request.body)["record"]["id"] == lead.pk
    secret = services.subscription_secret(subscription)
    assert verify(secret, request.body, request.headers["X-Piste-Signature"])
    assert delivery.attempts == 1 and delivery.response_status == 200
