"""Configuration → Webhooks: administrators only, company isolation, the SSRF guard at save
and at send, bad input refused with nothing written, and the pinned query counts."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from piste.core.access import actor_for, require_actor
from piste.core.testing import en_client
from piste.core.timeline import _LISTENERS
from piste.leads.tests.factories import make_lead
from piste.webhooks import selectors
from piste.webhooks.dispatch import activity_recorded
from piste.webhooks.models import WebhookDelivery, WebhookSubscription
from piste.webhooks.tests.conftest import subscribe

State = WebhookDelivery.State


def _form(url: str, events: list[str], **extra: str) -> dict:
    return {"name": "Miroir", "url": url, "events": events, "is_active": "on", **extra}


def test_an_administrator_creates_a_webhook_and_sees_its_secret(personas, receiver):
    client = en_client(personas.administrator)
    assert client.get("/config/webhooks/new/").status_code == 200
    response = client.post(
        "/config/webhooks/new/", _form(receiver.url, ["lead.created", "partner.updated"])
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302
    assert subscription.company == personas.company
    assert subscription.events == ["lead.created", "partner.updated"]
    page = client.get(f"/config/webhooks/{subscription.pk}/").content.decode()
    secret = subscription.secret
    assert not secret.startswith("whsec_")  # encrypted at rest
    from piste.webhooks.services import subscription_secret

    assert subscription_secret(subscription) in page
    listing = client.get("/config/webhooks/").content.decode()
    assert receiver.url in listing


def test_renewing_the_secret_replaces_it(personas, receiver):
    from piste.webhooks.services import subscription_secret

    subscription = subscribe(personas, receiver.url, ["lead.created"])
    before = subscription_secret(subscription)
    client = en_client(personas.administrator)
    assert client.post(f"/config/webhooks/{subscription.pk}/secret/").status_code == 302
    subscription.refresh_from_db()
    assert subscription_secret(subscription) not in ("", before)


@pytest.mark.parametrize("who", ["manager", "salesperson", "marketing", "reader"])
def test_only_administrators_reach_the_webhook_pages(personas, receiver, who):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    client = en_client(getattr(personas, who))
    for url in (
        "/config/webhooks/",
        "/config/webhooks/new/",
        f"/config/webhooks/{subscription.pk}/",
        "/config/webhooks/deliveries/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/config/webhooks/{subscription.pk}/delete/").status_code == 403
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_another_company_gets_404(personas, receiver, immediate_huey):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    delivery = WebhookDelivery.objects.create(
        company=personas.company, subscription=subscription, event="lead.created",
        object_id=1, payload={"event": "lead.created"}, state=State.FAILED,
    )  # fmt: skip
    client = en_client(personas.other)
    assert client.get(f"/config/webhooks/{subscription.pk}/").status_code == 404
    assert client.post(f"/config/webhooks/{subscription.pk}/delete/").status_code == 404
    assert client.post(f"/config/webhooks/{subscription.pk}/secret/").status_code == 404
    assert client.get(f"/config/webhooks/deliveries/{delivery.pk}/").status_code == 404
    assert client.post(f"/config/webhooks/deliveries/{delivery.pk}/replay/").status_code == 404
    assert client.get(f"/config/webhooks/deliveries/?webhook={subscription.pk}").status_code == 404
    page = client.get("/config/webhooks/deliveries/").content.decode()
    assert "lead.created" not in page
    assert WebhookDelivery.objects.count() == 1


def test_the_deliveries_log_pins_its_queries(personas, receiver, django_assert_num_queries):
    subscription = subscribe(personas, receiver.url, ["lead.created"])
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            company=personas.company, subscription=subscription, event="lead.created",
            object_id=i, payload={}, state=State.SUCCEEDED, response_status=200,
        )
        for i in range(60)
    )  # fmt: skip
    client = en_client(personas.administrator)
    client.get("/config/webhooks/deliveries/")  # warms the session and the actor
    # Session, user, memberships (actor), teams (actor), then the page with its subscriptions.
    with django_assert_num_queries(5):
        response = client.get("/config/webhooks/deliveries/?state=succeeded")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="delivery"') == 50
    cursor = response.context["page"].next_cursor
    more = client.get(f"/config/webhooks/deliveries/?cursor={cursor}")
    assert more.content.decode().count('data-testid="delivery"') == 10


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",  # loopback
        "https://10.1.2.3/x",  # private
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/x",
        "https://localhost/x",
    ],
)
def test_private_addresses_are_refused_at_save(personas, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = True  # the address is what is refused, not the scheme
    client = en_client(personas.administrator)
    response = client.post("/config/webhooks/new/", _form(url, ["lead.created"]))
    assert response.status_code == 200
    assert "private or local address" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_plain_http_is_refused_unless_allowed(personas, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client = en_client(personas.administrator)
    response = client.post(
        "/config/webhooks/new/", _form("http://93.184.215.14/", ["lead.created"])
    )
    assert "plain http is not allowed" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"url": "", "events": ["lead.created"]},
        {"url": "not a url", "events": ["lead.created"]},
        {"url": "ftp://example.test/", "events": ["lead.created"]},
        {"url": "https://user:pw@127.0.0.1/", "events": ["lead.created"]},
        {"url": "https://127.0.0.1/", "events": []},
        {"url": "https://127.0.0.1/", "events": ["lead.exploded"]},
        {"url": "https://" + "a" * 600 + ".test/", "events": ["lead.created"]},
        {"url": "https://no-such-host.invalid/", "events": ["lead.created"]},
        {"url": "https://127.0.0.1/\x00", "events": ["lead.created"]},
    ],
)
def test_bad_input_is_refused_with_nothing_written(personas, data):
    client = en_client(personas.administrator)
    response = client.post("/config/webhooks/new/", {"name": "x", **data})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_malformed_ids_and_cursors_give_404_or_the_first_page(personas):
    client = en_client(personas.administrator)
    assert client.get("/config/webhooks/deliveries/?webhook=abc").status_code == 404
    huge = "99999999999999999999"
    assert client.get(f"/config/webhooks/deliveries/?webhook={huge}").status_code == 404
    assert client.get("/config/webhooks/deliveries/?cursor=%00garbage&state=zzz").status_code == 200
    assert client.get("/config/webhooks/deliveries/424242/").status_code == 404


def test_a_private_address_is_refused_at_send_too(
    personas, receiver, settings, immediate_huey, django_capture_on_commit_callbacks
):
    subscribe(personas, receiver.url, ["lead.created"])  # saved while allowed
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = True  # the address is what is refused, not the scheme
    with django_capture_on_commit_callbacks(execute=True):
        make_lead(personas.salesperson)
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == State.FAILED and delivery.attempts == 1
    assert "private or local address" in delivery.error
    assert receiver.requests == []


# The cheap path ---------------------------------------------------------------------------------


def test_a_company_without_webhooks_pays_no_query_per_write(
    personas, django_assert_num_queries, django_capture_on_commit_callbacks
):
    actor = actor_for(personas.salesperson)
    assert actor is not None
    make_lead(personas.salesperson)  # warms the content types and the cached (empty) lookup
    assert cache.get(selectors.events_cache_key(personas.company.pk)) == []

    _LISTENERS.remove(activity_recorded)
    try:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as without:
            make_lead(personas.salesperson)
    finally:
        _LISTENERS.append(activity_recorded)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(len(without.captured_queries)),
    ):
        make_lead(personas.salesperson)
    assert callbacks == []  # nothing queued either


def test_the_cached_lookup_follows_the_subscriptions(
    personas, receiver, django_capture_on_commit_callbacks, django_assert_num_queries
):
    company_id = personas.company.pk
    with django_assert_num_queries(1):
        assert selectors.subscribed_events(company_id) == frozenset()
    with django_assert_num_queries(0):
        assert selectors.subscribed_events(company_id) == frozenset()
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(personas, receiver.url, ["lead.created", "lead.updated"])
    assert selectors.subscribed_events(company_id) == {"lead.created", "lead.updated"}
    actor = require_actor(personas.administrator)
    from piste.webhooks import services

    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_save(
            actor=actor,
            data={"url": receiver.url, "events": ["lead.created"], "is_active": False},
            subscription=subscription,
        )
    assert selectors.subscribed_events(company_id) == frozenset()
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_delete(actor=actor, subscription=subscription)
    assert selectors.subscribed_events(company_id) == frozenset()
    assert selectors.subscribed_events(personas.other_company.pk) == frozenset()


def test_a_subscribed_company_queues_one_job_after_the_commit(
    personas, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(personas, receiver.url, ["lead.created"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_lead(personas.salesperson)
    assert len(callbacks) == 1
    assert not WebhookDelivery.objects.exists()  # written by the job, not by the user's write


def test_finished_deliveries_older_than_a_month_are_purged(personas, receiver):
    import datetime

    from django.utils import timezone

    from piste.webhooks.services import deliveries_purge

    subscription = subscribe(personas, receiver.url, ["lead.created"])

    def delivery(days: int, state: str) -> WebhookDelivery:
        made = WebhookDelivery.objects.create(
            company=personas.company, subscription=subscription, event="lead.created",
            object_id=1, payload={"event": "lead.created"}, state=state,
        )  # fmt: skip
        # created_at is set on insert: moved back afterwards.
        when = timezone.now() - datetime.timedelta(days=days)
        WebhookDelivery.objects.filter(pk=made.pk).update(created_at=when)
        return made

    old_ok, old_failed = delivery(31, State.SUCCEEDED), delivery(31, State.FAILED)
    waiting, recent = delivery(31, State.RETRYING), delivery(29, State.FAILED)

    assert deliveries_purge() == 2
    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert left == {waiting.pk, recent.pk}
    assert old_ok.pk not in left and old_failed.pk not in left
