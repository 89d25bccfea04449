"""Sign-in throttling: too many failures for one user name or one address lock sign-in a while.

Counters live in the shared cache (Redis in production), so every web process sees them.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from piste.core.client import client_ip
from piste.core.text import fold


def _keys(request: HttpRequest, username: str) -> list[str]:
    ip = client_ip(request)
    name = hashlib.sha256(fold(username).encode()).hexdigest()[:32]
    return [f"login-fail:user:{name}", f"login-fail:ip:{ip}"]


def is_locked(request: HttpRequest, username: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    # The address limit is wider: several colleagues may share one office address.
    user_key, ip_key = _keys(request, username)
    return (cache.get(user_key) or 0) >= limit or (cache.get(ip_key) or 0) >= limit * 4


def record_failure(request: HttpRequest, username: str) -> None:
    for key in _keys(request, username):
        if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def reset(request: HttpRequest, username: str) -> None:
    cache.delete(_keys(request, username)[0])


def allow(request: HttpRequest, action: str, subject: str, *, limit: int, window: int) -> bool:
    """Count one attempt at ``action`` for ``subject`` and for the address; False past ``limit``.

    For actions that cost something on every try (a password-reset mail), whatever the outcome.
    """
    ip = client_ip(request)
    digest = hashlib.sha256(fold(subject).encode()).hexdigest()[:32]
    allowed = True
    for key, cap in ((f"{action}:subject:{digest}", limit), (f"{action}:ip:{ip}", limit * 4)):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window)
            count = 1
        allowed = allowed and count <= cap
    return allowed
