"""Reads of the webhooks app: the cached list of events a company listens to (read by the
timeline listener on every write), and the configuration's subscriptions and deliveries."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from piste.core.access import get_or_404, in_company
from piste.core.pagination import Page, keyset_page
from piste.webhooks.models import WebhookDelivery, WebhookSubscription

PAGE_SIZE = 50
# The cache is dropped whenever a subscription changes (services): the timeout only bounds how
# long a value written by a process with a stale view could live.
EVENTS_CACHE_TIMEOUT = 3600


def events_cache_key(company_id: int) -> str:
    return f"webhooks:events:{company_id}"


def subscribed_events(company_id: int) -> frozenset[str]:
    """The events some active subscription of the company listens to. Read on every timeline
    line: a cache hit costs no query, and a company without webhooks caches an empty set."""
    key = events_cache_key(company_id)
    cached = cache.get(key)
    if cached is None:
        cached = sorted(
            {
                name
                for events in WebhookSubscription.objects.filter(
                    company_id=company_id, is_active=True
                ).values_list("events", flat=True)
                for name in (events or ())
            }
        )
        cache.set(key, cached, EVENTS_CACHE_TIMEOUT)
    return frozenset(cached)


def subscriptions_listening(company_id: int, event: str) -> list[WebhookSubscription]:
    # Filtered here rather than with a JSON lookup, which SQLite lacks; a company has a few.
    rows = WebhookSubscription.objects.filter(company_id=company_id, is_active=True)
    return [row for row in rows if event in (row.events or ())]


# Configuration ----------------------------------------------------------------------------------


def subscriptions_for_config(user: Any) -> QuerySet[WebhookSubscription]:
    return in_company(user, WebhookSubscription.objects.all()).order_by("name", "id")


def subscription_get_for_config(user: Any, pk: Any) -> WebhookSubscription:
    return get_or_404(in_company(user, WebhookSubscription.objects.all()), pk)


def deliveries_page(
    user: Any, *, subscription: WebhookSubscription | None, state: str, cursor: str | None
) -> Page[WebhookDelivery]:
    """One page of the deliveries log, newest first. Queries: the page with its subscriptions."""
    qs = in_company(user, WebhookDelivery.objects.all()).select_related("subscription")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    if state in WebhookDelivery.State.values:
        qs = qs.filter(state=state)
    return keyset_page(qs.defer("payload"), sort="-id", cursor=cursor, per_page=PAGE_SIZE)


def delivery_get_for_config(user: Any, pk: Any) -> WebhookDelivery:
    return get_or_404(in_company(user, WebhookDelivery.objects.select_related("subscription")), pk)
