"""Writes of the webhooks app: subscriptions (configuration), the deliveries an event fans out
to, one delivery attempt (called by the job queue), and the replay of a delivery."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.rights import Right
from piste.core.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from piste.users.models import Company
from piste.webhooks import guard, selectors
from piste.webhooks.events import EVENT_NAMES
from piste.webhooks.models import WebhookDelivery, WebhookSubscription
from piste.webhooks.signing import new_secret, signature

State = WebhookDelivery.State

# Seconds before the 2nd, 3rd, 4th and 5th attempts after a network error, a 5xx or a 429;
# the 5th failing marks the delivery failed.
BACKOFF = (60, 5 * 60, 30 * 60, 2 * 60 * 60)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A receiver must answer quickly (it should queue the work and answer 2xx).
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_RESPONSE = 2048
USER_AGENT = "Piste-Webhooks/1"

# The record's main fields sent with each event, read when the deliveries are written (a
# "status__name" column is sent as "status").
SNAPSHOT_FIELDS: dict[str, tuple[str, ...]] = {
    "lead": (
        "external_id", "civility", "first_name", "last_name", "full_name", "enterprise_name",
        "email", "main_phone", "city_name", "siren", "status__name", "assigned_to_id",
        "team_id", "partner_id", "converted_at", "created_at", "updated_at",
    ),
    "partner": (
        "external_id", "name", "full_name", "email", "fixed_phone", "city_name", "siren",
        "is_prospect", "is_customer", "status__name", "assigned_to_id", "team_id",
        "created_at", "updated_at",
    ),
    "contact": (
        "external_id", "civility", "first_name", "last_name", "email", "fixed_phone",
        "mobile_phone", "main_partner_id",
    ),
    "opportunity": (
        "external_id", "number", "name", "partner_id", "amount", "currency", "probability",
        "expected_close_date", "stage__name", "lead_id", "closed_at", "created_at", "updated_at",
    ),
    "event": (
        "external_id", "kind", "status", "subject", "start", "end", "all_day", "location",
        "created_at", "updated_at",
    ),
}  # fmt: skip


def _require_config(actor: Actor, obj: models.Model | None = None) -> None:
    if not actor.has(Right.MANAGE_CONFIGURATION):
        raise PermissionDenied(Right.MANAGE_CONFIGURATION.label)
    if obj is not None and getattr(obj, "company_id", None) != actor.company.pk:
        raise PermissionDenied


def _forget_events(company_id: int) -> None:
    """Drop the listener's cached events once the change is committed (dropping it before would
    let a concurrent write cache the old subscriptions again)."""
    transaction.on_commit(lambda: cache.delete(selectors.events_cache_key(company_id)))


# Subscriptions ----------------------------------------------------------------------------------


@transaction.atomic
def subscription_save(
    *, actor: Actor, data: dict[str, Any], subscription: WebhookSubscription | None = None
) -> WebhookSubscription:
    """Create (with a new secret) or change a subscription; its URL passes the SSRF guard."""
    _require_config(actor, subscription)
    events = list(dict.fromkeys(data.get("events") or ()))
    unknown = [name for name in events if name not in EVENT_NAMES]
    if unknown or not events:
        raise ValidationError({"events": _("Choose at least one event among those offered.")})
    url = str(data.get("url") or "").strip()
    try:
        guard.check_destination(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from exc
    name = str(data.get("name") or "").strip()[:100] or urlsplit(url).hostname or url[:100]
    if subscription is None:
        subscription = WebhookSubscription(
            company=actor.company, created_by=actor.user, secret=secret_encrypt(new_secret())
        )
    subscription.name = name
    subscription.url = url
    subscription.events = events
    subscription.is_active = bool(data.get("is_active", True))
    subscription.save()
    _forget_events(actor.company.pk)
    return subscription


@transaction.atomic
def subscription_secret_renew(*, actor: Actor, subscription: WebhookSubscription) -> str:
    """A new secret (the old one stops working at once); returns it."""
    _require_config(actor, subscription)
    secret = new_secret()
    subscription.secret = secret_encrypt(secret)
    subscription.save(update_fields=["secret", "updated_at"])
    return secret


def subscription_secret(subscription: WebhookSubscription) -> str:
    """The plain secret, shown to administrators; "" if SECRET_KEY changed since (renew it)."""
    try:
        return secret_decrypt(subscription.secret)
    except SecretUnreadable:
        return ""


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its deliveries log."""
    _require_config(actor, subscription)
    subscription.delete()
    _forget_events(actor.company.pk)


# Deliveries -------------------------------------------------------------------------------------


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return result


def _snapshots(model: type[models.Model], kind: str, ids: list[int]) -> dict[int, dict]:
    """The records' main fields, in one query (records deleted since are missing)."""
    fields = SNAPSHOT_FIELDS.get(kind, ())
    rows = model._default_manager.filter(pk__in=ids).values("pk", *fields)
    return {
        row.pop("pk"): {name.split("__", 1)[0]: value for name, value in row.items()}
        for row in rows
    }


@transaction.atomic
def deliveries_create(
    *,
    company_id: int,
    model: type[models.Model],
    kind: str,
    event: str,
    items: list[tuple[int, dict[str, Any]]],
    occurred_at: str,
) -> list[int]:
    """One delivery per (active subscription listening to ``event``, record); the ids, whose
    sending is queued once this commits. Queries: the subscriptions, the company, the records'
    snapshots (in batches of 1,000), the inserts."""
    subscriptions = selectors.subscriptions_listening(company_id, event)
    if not subscriptions:
        return []
    company = Company.objects.filter(pk=company_id).values("pk", "name").first()
    if company is None:
        return []
    rows: list[WebhookDelivery] = []
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        snapshots = _snapshots(model, kind, [object_id for object_id, _data in batch])
        for object_id, data in batch:
            payload = _json_safe(
                {
                    "event": event,
                    "occurred_at": occurred_at,
                    "company": {"id": company["pk"], "name": company["name"]},
                    "record": {
                        "kind": kind,
                        "id": object_id,
                        "data": snapshots.get(object_id),
                    },
                    "data": data or {},
                }
            )
            rows.extend(
                WebhookDelivery(
                    company_id=company_id,
                    subscription=subscription,
                    event=event,
                    object_id=object_id,
                    payload=payload,
                )
                for subscription in subscriptions
            )
    created = WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
    ids = [row.pk for row in created]
    transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return ids


# The event of a test sent from the webhook's page: no record, only the company and the webhook.
PING = "ping"


@transaction.atomic
def subscription_ping(*, actor: Actor, subscription: WebhookSubscription) -> WebhookDelivery:
    """A test delivery, queued: signed, logged and replayable like any, so that the receiver's
    URL, signature check and answer can be tried before a real event comes."""
    _require_config(actor, subscription)
    if not subscription.is_active:
        raise ValidationError(_("This webhook is inactive: activate it before sending a test."))
    delivery = WebhookDelivery.objects.create(
        company_id=subscription.company_id,
        subscription=subscription,
        event=PING,
        object_id=0,
        payload={
            "event": PING,
            "occurred_at": timezone.now().isoformat(),
            "company": {"id": actor.company.pk, "name": actor.company.name},
            "webhook": {"id": subscription.pk, "url": subscription.url},
            "data": {"message": "Piste webhook test"},
        },
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]), robust=True)
    return delivery


def _enqueue(ids: list[int]) -> None:
    from piste.webhooks.tasks import deliver

    for delivery_id in ids:
        deliver(delivery_id)


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same payload to the same subscription (signed anew when sent)."""
    _require_config(actor, delivery)
    if not delivery.subscription.is_active:
        raise ValidationError(_("This webhook is inactive: activate it before replaying."))
    replay = WebhookDelivery.objects.create(
        company_id=delivery.company_id,
        subscription=delivery.subscription,
        event=delivery.event,
        object_id=delivery.object_id,
        payload=delivery.payload,
        replay_of=delivery.replay_of or delivery,
    )
    transaction.on_commit(lambda: _enqueue([replay.pk]), robust=True)
    return replay


class _Answer:
    def __init__(self, status: int, body: str, duration_ms: int) -> None:
        self.status, self.body, self.duration_ms = status, body, duration_ms


def _post(url: str, address: str, body: bytes, headers: dict[str, str]) -> _Answer:
    """POST to the address the guard checked (not to a second DNS answer), naming the host in
    the Host header and, for https, in TLS (SNI and certificate check); redirects are not
    followed (a 3xx is the receiver's answer). Reads at most 2 KB of the answer."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    headers = {**headers, "Host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    start = time.monotonic()
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST", target, content=body, headers=headers, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            read = b""
            for chunk in response.iter_raw():
                read += chunk
                if len(read) >= MAX_RESPONSE:
                    break
        finally:
            response.close()
    duration_ms = int((time.monotonic() - start) * 1000)
    text = read[:MAX_RESPONSE].decode("utf-8", errors="replace")
    return _Answer(response.status_code, text, duration_ms)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def delivery_attempt(*, delivery_id: int) -> int | None:
    """Send one delivery now and log the answer; the seconds to wait before the next attempt,
    or None when done (delivered, failed for good, or nothing to do)."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.state in (State.SUCCEEDED, State.FAILED):
        return None
    subscription = delivery.subscription
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.response_status, delivery.response_body, delivery.duration_ms = None, "", None
    delivery.error = ""
    retry = False
    if not subscription.is_active:
        delivery.error = _("The webhook is inactive.")
    else:
        secret = subscription_secret(subscription)
        if not secret:
            delivery.error = _("The secret can no longer be read: renew it.")
        else:
            retry = _send(delivery, subscription, secret)
    delay = BACKOFF[delivery.attempts - 1] if retry and delivery.attempts < MAX_ATTEMPTS else None
    if delivery.state != State.SUCCEEDED:
        delivery.state = State.RETRYING if delay is not None else State.FAILED
    delivery.next_attempt_at = (
        timezone.now() + datetime.timedelta(seconds=delay) if delay is not None else None
    )
    delivery.save(
        update_fields=[
            "attempts", "last_attempt_at", "response_status", "response_body", "duration_ms",
            "error", "state", "next_attempt_at",
        ]
    )  # fmt: skip
    return delay


def _send(delivery: WebhookDelivery, subscription: WebhookSubscription, secret: str) -> bool:
    """One POST; sets the delivery's answer and state. Whether a later attempt may succeed."""
    try:
        address = guard.check_destination(subscription.url)
    except ValidationError as exc:
        delivery.error = " ".join(exc.messages)[:500]
        # A name that does not resolve may come back; a refused address will not.
        return exc.code == guard.UNRESOLVED
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Piste-Event": delivery.event,
        "X-Piste-Delivery": str(delivery.pk),
        "X-Piste-Signature": signature(secret, body, int(time.time())),
    }
    try:
        answer = _post(subscription.url, address, body, headers)
    except httpx.HTTPError as exc:
        delivery.error = (f"{type(exc).__name__}: {exc}")[:500]
        return True
    delivery.response_status = answer.status
    delivery.response_body = answer.body
    delivery.duration_ms = answer.duration_ms
    if 200 <= answer.status < 300:
        delivery.state = State.SUCCEEDED
        return False
    return answer.status == 429 or answer.status >= 500


# The deliveries log is for looking into recent trouble: a month of it is kept.
KEEP_DELIVERIES = datetime.timedelta(days=30)


def deliveries_purge(*, older_than: datetime.timedelta = KEEP_DELIVERIES) -> int:
    """Delete the finished deliveries (delivered or failed) made more than ``older_than`` ago;
    those still waiting for an attempt stay. The number deleted."""
    cutoff = timezone.now() - older_than
    old = WebhookDelivery.objects.filter(
        created_at__lt=cutoff, state__in=[State.SUCCEEDED, State.FAILED]
    )
    # Replays point at their original (SET_NULL): deleting in one statement is safe.
    deleted, _rows = old.delete()
    return deleted
