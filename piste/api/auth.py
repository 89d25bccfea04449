"""Who calls the API: a personal token (``Authorization: Bearer …``) or the signed-in session.

Both end with a user whose actor (``piste.core.access``) is the one the pages use: the same
role, scope and company rules. A token acts in the company it was made in, and stops working
when its user loses that company, is deactivated, or the token expires or is revoked.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from piste.core.access import actor_for

# last_used_at is written at most this often per token (not on every request).
TOUCH_EVERY = timedelta(minutes=5)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from piste.api.models import ApiToken

        if not token or len(token) > 200:
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.is_active or not found.user.is_active:
            return None
        user = found.user
        # Act in the token's company: the actor falls back to another company when the user
        # lost this one, so check the membership is the token's.
        user.active_company_id = found.company_id
        actor = actor_for(user)
        if actor is None or actor.company.pk != found.company_id:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session (CSRF checked on writes by ninja's cookie auth)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and actor_for(user) is not None:
            return user
        return None
