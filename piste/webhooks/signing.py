"""How deliveries are signed, and how a receiver checks them.

Each request carries ``X-Piste-Signature: t=<unix time>,v1=<hex>`` where ``<hex>`` is the
HMAC-SHA256, keyed with the subscription's secret, of ``"<t>.<raw body>"`` (UTF-8). A receiver:

1. splits the header on "," and "=" to read ``t`` and ``v1``;
2. computes ``hmac.new(secret.encode(), f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()``
   on the raw body exactly as received (before any JSON parsing);
3. compares it to ``v1`` with ``hmac.compare_digest``;
4. refuses a ``t`` older than a few minutes (a replayed capture), and uses ``X-Piste-Delivery``
   to ignore a delivery it has already handled (a retry after a lost answer).

``verify`` below is that check, and what the tests use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"
# Five minutes, the usual tolerance for a receiver.
TOLERANCE = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = TOLERANCE) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
