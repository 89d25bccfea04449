"""Partners and contacts for tests, made through the services (derived columns and timeline are
real)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from piste.core.access import actor_for
from piste.core.models import Tag
from piste.partners import services
from piste.partners.models import Contact, Partner
from piste.users.models import User


def make_partner(user: User, *, tags: Iterable[Tag] = (), **data: Any) -> Partner:
    """A partner created by ``user`` (a prospect named "Dupont Industrie" unless told)."""
    actor = actor_for(user)
    assert actor is not None
    data.setdefault("name", "Dupont Industrie")
    if not any(data.get(flag) for flag in services.TYPE_FLAGS):
        data.setdefault("is_prospect", True)
    return services.partner_create(actor=actor, data=data, tags=tags)


def make_contact(user: User, partner: Partner, **data: Any) -> Contact:
    actor = actor_for(user)
    assert actor is not None
    data.setdefault("last_name", "Martin")
    return services.contact_create(actor=actor, partner=partner, data=data)
