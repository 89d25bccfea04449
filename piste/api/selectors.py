"""Reads on personal API tokens: a user sees and revokes their own tokens only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from piste.api.models import ApiToken
from piste.core.access import get_or_404

# The profile lists at most this many tokens (the services cap live ones at 50).
LIST_LIMIT = 200


def api_tokens_for_user(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user.pk).select_related("company")


def api_token_get_for_user(user: Any, pk: Any) -> ApiToken:
    return get_or_404(api_tokens_for_user(user), pk)
