"""Leads for tests, made through the services (so derived columns and timeline are real)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from piste.core.access import actor_for
from piste.core.models import Tag
from piste.leads import services
from piste.leads.models import Lead, LeadStatus
from piste.users.models import User


def make_lead(
    user: User,
    *,
    address: dict[str, Any] | None = None,
    tags: Iterable[Tag] = (),
    **data: Any,
) -> Lead:
    """A lead created by ``user`` (and assigned to them unless ``assigned_to`` is given)."""
    actor = actor_for(user)
    assert actor is not None
    data.setdefault("last_name", "Martin")
    return services.lead_create(actor=actor, data=data, address=address, tags=tags)


def status(company_id: int, role: str) -> LeadStatus:
    return LeadStatus.objects.get(company_id=company_id, role=role)


def address_data(**values: Any) -> dict[str, Any]:
    """The fields ``address_save`` takes, empty unless given."""
    return {
        "line1": "",
        "line2": "",
        "line3": "",
        "postal_code": "",
        "city_name": "",
        "city": None,
        "country": None,
        **values,
    }
