"""Deliveries to a real HTTP receiver on loopback: signed requests, the events chosen, the
payload, retries with back-off after a 5xx, 429 or network error, failure at once on a 4xx,
and the replay of a delivery from the log."""

from __future__ import annotations

import json

import pytest

from piste.core.access import require_actor
from piste.core.testing import en_client, free_port
from piste.leads import services as lead_services
from piste.leads.tests.factories import make_lead
from piste.webhooks import services
from piste.webhooks.models import WebhookDelivery
from piste.webhooks.services import BACKOFF, MAX_RESPONSE
from piste.webhooks.signing import verify
from piste.webhooks.tests.conftest import run_scheduled, subscribe

State = WebhookDelivery.State


def _wait(delivery: WebhookDelivery):
    """The time between the last attempt and the next one."""
    assert delivery.next_attempt_at is not None and delivery.last_attempt_at is not None
    return delivery.next_attempt_at - delivery.last_attempt_at


@pytest.fixture
def hooked(personas, receiver, immediate_huey, django_capture_on_commit_callbacks):
    """Run ``write`` and every job it queues (after the commit), as the queue would."""

    def run(write):
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


def test_a_new_lead_is_posted_signed_with_the_subscription_secret(personas, receiver, hooked):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    lead = hooked(lambda: make_lead(personas.salesperson, first_name="Jeanne", email="j@x.test"))

    [request] = receiver.requests
    assert request.path == "/hooks/piste"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Piste-Event"] == "lead.created"
    delivery = WebhookDelivery.objects.get()
    assert request.headers["X-Piste-Delivery"] == str(delivery.pk)
    secret = services.subscription_secret(subscription)
    assert secret.startswith("whsec_")
    assert verify(secret, request.body, request.headers["X-Piste-Signature"])
    assert not verify("whsec_other", request.body, request.headers["X-Piste-Signature"])
    assert not verify(secret, request.body + b" ", request.headers["X-Piste-Signature"])

    payload = json.loads(request.body)
    assert payload["event"] == "lead.created"
    assert payload["company"] == {"id": personas.company.pk, "name": "Durand Conseil"}
    assert payload["record"]["kind"] == "lead" and payload["record"]["id"] == lead.pk
    record = payload["record"]["data"]
    assert record["full_name"] == lead.full_name and record["email"] == "j@x.test"
    assert record["status"] == lead.status.name
    assert payload["occurred_at"]

    delivery.refresh_from_db()
    assert delivery.state == State.SUCCEEDED and delivery.attempts == 1
    assert delivery.response_status == 200
    assert len(delivery.response_body) == MAX_RESPONSE  # the first 2 KB only
    assert delivery.duration_ms is not None


def test_only_the_chosen_events_of_the_own_company_are_sent(personas, receiver, hooked):
    subscribe(personas, receiver.url, ["lead.updated"])
    lead = hooked(lambda: make_lead(personas.salesperson, last_name="Martin"))
    hooked(lambda: make_lead(personas.other, last_name="Ailleurs"))  # company B
    assert receiver.requests == []  # lead.created was not chosen

    actor = require_actor(personas.salesperson)
    hooked(
        lambda: lead_services.lead_update(
            actor=actor, lead=lead, data={"last_name": "Morel"}, version=lead.version
        )
    )
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert payload["event"] == "lead.updated"
    assert {"field": "last_name", "from": "Martin", "to": "Morel"} in payload["data"]["changes"]
    assert payload["record"]["data"]["last_name"] == "Morel"


def test_an_inactive_subscription_receives_nothing(personas, receiver, hooked):
    subscribe(personas, receiver.url, ["lead.created"], is_active=False)
    hooked(lambda: make_lead(personas.salesperson))
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_a_bulk_action_queues_one_job_for_all_its_records(personas, receiver, hooked, monkeypatch):
    from piste.webhooks import tasks

    subscribe(personas, receiver.url, ["lead.updated"])
    leads = [make_lead(personas.salesperson, last_name=f"L{i}") for i in range(3)]
    calls = []
    original = tasks.fan_out

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(tasks, "fan_out", counting)
    actor = require_actor(personas.manager)
    from piste.leads.models import Lead

    hooked(
        lambda: lead_services.leads_bulk_assign(
            actor=actor, leads=Lead.objects.filter(pk__in=[x.pk for x in leads]),
            user=personas.teammate,
        )
    )  # fmt: skip
    assert len(calls) == 1 and len(calls[0][4]) == 3
    assert sorted(json.loads(r.body)["record"]["id"] for r in receiver.requests) == sorted(
        x.pk for x in leads
    )


def test_a_500_is_tried_again_after_a_minute_then_delivered(
    personas, receiver, hooked, immediate_huey
):
    subscribe(personas, receiver.url, ["lead.created"])
    receiver.statuses = [500]
    hooked(lambda: make_lead(personas.salesperson))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.RETRYING and delivery.attempts == 1
    assert delivery.response_status == 500
    wait = _wait(delivery).total_seconds()
    assert wait == pytest.approx(BACKOFF[0], abs=2)

    assert run_scheduled(immediate_huey) == 1
    delivery.refresh_from_db()
    assert delivery.state == State.SUCCEEDED and delivery.attempts == 2
    assert delivery.next_attempt_at is None
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["X-Piste-Delivery"] == second.headers["X-Piste-Delivery"]


def test_retries_back_off_then_the_delivery_fails(personas, receiver, hooked, immediate_huey):
    subscribe(personas, receiver.url, ["lead.created"])
    receiver.statuses = [503, 429, 502, 500, 504]
    hooked(lambda: make_lead(personas.salesperson))
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.state == State.RETRYING:
        waits.append(round(_wait(delivery).total_seconds()))
        assert run_scheduled(immediate_huey) == 1
        delivery.refresh_from_db()
    assert waits == pytest.approx(list(BACKOFF), abs=2)  # 1, 5, 30 minutes, 2 hours
    assert delivery.state == State.FAILED and delivery.attempts == 5
    assert delivery.response_status == 504
    assert len(receiver.requests) == 5
    assert run_scheduled(immediate_huey) == 0


def test_a_4xx_fails_at_once(personas, receiver, hooked, immediate_huey):
    subscribe(personas, receiver.url, ["lead.created"])
    receiver.statuses = [410]
    hooked(lambda: make_lead(personas.salesperson))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.FAILED and delivery.attempts == 1
    assert delivery.response_status == 410
    assert run_scheduled(immediate_huey) == 0


def test_a_refused_connection_is_tried_again(personas, hooked, immediate_huey):
    subscribe(personas, f"http://127.0.0.1:{free_port()}/", ["lead.created"])
    hooked(lambda: make_lead(personas.salesperson))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.RETRYING and delivery.response_status is None
    assert "ConnectError" in delivery.error


def test_replay_sends_the_same_payload_again_signed_anew(
    personas, receiver, hooked, django_capture_on_commit_callbacks
):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    receiver.statuses = [404]
    hooked(lambda: make_lead(personas.salesperson))
    failed = WebhookDelivery.objects.get()
    assert failed.state == State.FAILED

    client = en_client(personas.administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/config/webhooks/deliveries/{failed.pk}/replay/")
    replay = WebhookDelivery.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{replay.pk}/")
    assert replay.replay_of_id == failed.pk and replay.payload == failed.payload
    assert replay.state == State.SUCCEEDED
    first, second = receiver.requests
    assert first.body == second.body
    assert second.headers["X-Piste-Delivery"] == str(replay.pk)
    secret = services.subscription_secret(subscription)
    assert verify(secret, second.body, second.headers["X-Piste-Signature"])
    failed.refresh_from_db()
    assert failed.state == State.FAILED and failed.attempts == 1  # the log keeps the first


def test_a_deleted_lead_is_sent_with_its_name_and_no_record_data(personas, receiver, hooked):
    subscribe(personas, receiver.url, ["lead.deleted"])
    lead = make_lead(personas.salesperson, first_name="Jeanne", last_name="Morel")
    lead_id = lead.pk
    actor = require_actor(personas.administrator)
    hooked(lambda: lead_services.lead_delete(actor=actor, lead=lead))
    [request] = receiver.requests
    payload = json.loads(request.body)
    assert payload["event"] == "lead.deleted" and payload["record"]["id"] == lead_id
    assert payload["record"]["data"] is None
    assert payload["data"]["message"] == "Jeanne Morel"


def test_a_deleted_contact_is_sent_and_a_partner_event_not_chosen_is_not(
    personas, receiver, hooked
):
    from piste.partners import services as partner_services
    from piste.partners.tests.factories import make_contact, make_partner

    subscribe(personas, receiver.url, ["contact.deleted", "partner.created"])
    partner = hooked(lambda: make_partner(personas.salesperson, name="Boulangeries Morel"))
    contact = make_contact(personas.salesperson, partner, first_name="Paul", last_name="Morel")
    contact_id = contact.pk
    actor = require_actor(personas.administrator)
    hooked(lambda: partner_services.contact_delete(actor=actor, contact=contact))
    # The contact's deletion also writes a "changed" line on its partner: not chosen.
    events = [json.loads(r.body)["event"] for r in receiver.requests]
    assert events == ["partner.created", "contact.deleted"]
    payload = json.loads(receiver.requests[1].body)
    assert payload["record"] == {"kind": "contact", "id": contact_id, "data": None}
    assert payload["data"]["message"] == "Paul Morel"
    assert json.loads(receiver.requests[0].body)["record"]["data"]["name"] == "Boulangeries Morel"


def test_imported_lines_are_sent_as_created_or_updated_by_their_action(personas, receiver, hooked):
    """An import writes "imported" lines, saying in their data whether it created or updated."""
    from piste.core.models import Activity
    from piste.core.timeline import activities_record

    subscribe(personas, receiver.url, ["lead.updated"])
    lead = hooked(lambda: make_lead(personas.salesperson, last_name="Importée"))
    assert receiver.requests == []

    def imported(action: str) -> None:
        activities_record(
            objs=[lead],
            verb=Activity.Verb.IMPORTED,
            actor=personas.salesperson,
            data=lambda obj: {"import": 1, "action": action},
            company_id=personas.company.pk,
        )

    hooked(lambda: imported("created"))
    hooked(lambda: imported("updated"))
    [request] = receiver.requests  # the "created" line was not subscribed
    assert json.loads(request.body)["event"] == "lead.updated"


def test_a_test_sent_from_the_webhooks_page_reaches_the_receiver_signed(
    personas, receiver, hooked, django_capture_on_commit_callbacks
):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    client = en_client(personas.administrator)
    page = client.get(f"/config/webhooks/{subscription.pk}/").content.decode()
    assert 'data-testid="ping"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/config/webhooks/{subscription.pk}/test/")
    delivery = WebhookDelivery.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{delivery.pk}/")
    [request] = receiver.requests
    assert request.headers["X-Piste-Event"] == "ping"
    secret = services.subscription_secret(subscription)
    assert verify(secret, request.body, request.headers["X-Piste-Signature"])
    payload = json.loads(request.body)
    assert payload["webhook"] == {"id": subscription.pk, "url": receiver.url}
    assert payload["company"]["id"] == personas.company.pk
    delivery.refresh_from_db()
    assert delivery.state == State.SUCCEEDED and delivery.response_status == 200
    detail = client.get(f"/config/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "ping" in detail


def test_a_test_is_refused_for_an_inactive_webhook_and_to_others(personas, receiver, hooked):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])
    client = en_client(personas.administrator)
    response = client.post(f"/config/webhooks/{subscription.pk}/test/", follow=True)
    assert "activate it before sending a test" in response.content.decode()
    assert not WebhookDelivery.objects.exists()
    salesperson = en_client(personas.salesperson)
    assert salesperson.post(f"/config/webhooks/{subscription.pk}/test/").status_code == 403
    other = en_client(personas.other)
    assert other.post(f"/config/webhooks/{subscription.pk}/test/").status_code == 404
    assert salesperson.get(f"/config/webhooks/{subscription.pk}/test/").status_code == 403
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_a_test_is_a_post(personas, receiver):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    client = en_client(personas.administrator)
    assert client.get(f"/config/webhooks/{subscription.pk}/test/").status_code == 405
    assert not WebhookDelivery.objects.exists()
