"""Writes on personal API tokens: make one (its secret is returned once, never stored), revoke."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.api.auth import token_digest
from piste.api.models import ApiToken
from piste.core.access import Actor

# "pst_" tells a Piste token apart in a leaked file or a secret scanner; 32 random bytes.
TOKEN_PREFIX = "pst_"
PREFIX_LENGTH = 12
# A user with more live tokens than this is probably leaking them: revoke old ones first.
MAX_ACTIVE_TOKENS = 50


@transaction.atomic
def api_token_create(
    *, actor: Actor, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token acting as the actor in their current company. Returns (token, secret): the
    secret is shown once, only its SHA-256 is kept."""
    name = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Name the token (what will use it).")]
    elif len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        errors["name"] = [_("The name is at most 100 characters long.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("Choose an expiry date in the future.")]
    live = ApiToken.objects.filter(user=actor.user, revoked_at__isnull=True).count()
    if live >= MAX_ACTIVE_TOKENS:
        errors["__all__"] = [
            _("You have %(max)d tokens: revoke the ones you no longer use first.")
            % {"max": MAX_ACTIVE_TOKENS}
        ]
    if errors:
        raise ValidationError(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        company=actor.company,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> None:
    """Stop the token at once (kept in the list, marked revoked); revoking twice is harmless."""
    if token.user_id != actor.user.pk:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
