"""Private iCalendar feeds: a secret address per user and company that calendar applications
read without signing in.

Only the token's SHA-256 is stored: the address is shown once, when made. Making a new one
replaces the old (whose address stops working at once); revoking deletes it. A feed is found
by its hash through the unique index: the lookup compares hashes, so its timing tells nothing
about the token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from piste.activities.models import CalendarFeed
from piste.core.access import actor_for, forget_actor

# 32 random bytes, URL-safe base64: 43 characters.
TOKEN_BYTES = 32
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# last_used_at is written at most this often: a calendar application polls every few minutes.
TOUCH_EVERY = timedelta(hours=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, user: Any, company: Any) -> str:
    """A new feed for the user in the company (the old one, if any, stops working); returns
    its token, which is never stored nor shown again."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.filter(user=user, company=company).delete()
    CalendarFeed.objects.create(user=user, company=company, token_hash=token_hash(token))
    return token


@transaction.atomic
def feed_revoke(*, user: Any, company: Any) -> bool:
    """Delete the user's feed in the company; whether there was one."""
    deleted, _rows = CalendarFeed.objects.filter(user=user, company=company).delete()
    return deleted > 0


def feed_of(user: Any, company: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, company=company).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed of a token whose user still works in its company (as that company's actor:
    ``actor_for(feed.user)`` then answers for the feed's company); None otherwise."""
    if not 20 <= len(token) <= 100 or not set(token) <= _TOKEN_CHARS:
        return None
    feed = (
        CalendarFeed.objects.select_related("user", "company")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if feed is None:
        return None
    user = feed.user
    # The access layer reads the user's active company: the feed's, for this request only.
    user.active_company_id = feed.company_id
    forget_actor(user)
    actor = actor_for(user)
    if actor is None or actor.company.pk != feed.company_id:
        return None
    return feed


def feed_touch(feed: CalendarFeed) -> None:
    """Note that the feed was read (at most once per TOUCH_EVERY)."""
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= TOUCH_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now
