"""The per-address limit of web form submissions, counted in the shared cache (Redis in
production) so that every web process sees the same counts."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

# Five submissions per form and address in ten minutes: more than a person sends, fewer than a
# robot would. Settings may widen it (an event's kiosk behind one address).
LIMIT = 5
WINDOW_SECONDS = 600


def submission_allowed(form_id: int, ip_digest: str) -> bool:
    """Count one submission; False once the address has sent more than the limit."""
    limit = getattr(settings, "WEBFORM_RATE_LIMIT", LIMIT)
    window = getattr(settings, "WEBFORM_RATE_WINDOW_SECONDS", WINDOW_SECONDS)
    key = f"webform-submit:{form_id}:{ip_digest}"
    if cache.add(key, 1, timeout=window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
