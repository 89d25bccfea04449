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
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from piste.core.access import actor_for, actor_in_company

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
        if actor_in_company(user, found.company_id) is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session; writes must carry the CSRF token (``X-CSRFToken``).

    The CSRF check runs only for a signed-in session: a script sending a wrong token and no
    cookie hears 401 (send a valid token), not a CSRF refusal it has nothing to do with.
    """

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(
                403,
                _(
                    "The CSRF check failed: send the X-CSRFToken header with a signed-in "
                    "session, or use an API token."
                ),
            )
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and actor_for(user) is not None:
            return user
        return None
