"""Records for the duplicate check tests: who sees which duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from piste.core.access import actor_for
from piste.core.testing import Personas
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead


@pytest.fixture
def immediate_huey() -> Iterator[None]:
    """Queued tasks run at once, in this process (the consumer's path, without a consumer)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = previous


def actor(user: Any):
    found = actor_for(user)
    assert found is not None
    return found


def lead(user: Any, first: str, last: str, company: str = "", **data: Any) -> Lead:
    return make_lead(user, first_name=first, last_name=last, enterprise_name=company, **data)


def leads_world(p: Personas) -> dict[str, Lead]:
    """Jean Dupont of Morel four times in company A (the salesperson's twice, written apart, the
    teammate's, the outsider's in the other team), once merged, once in company B; Anne Durand
    of Acme twice (the manager's, of the salesperson's team)."""
    world = {
        "s1": lead(p.salesperson, "Jean", "Dupont", "Morel SARL", fixed_phone="01 23 45 67 89"),
        "s2": lead(p.salesperson, "DUPONT", "jean", "S.A.R.L. Morel", mobile_phone="0612345678"),
        "t1": lead(p.teammate, "Jean", "Dupont", "Morel", fixed_phone="+33612345678"),
        "o1": lead(p.outsider, "Jean", "Dupont", "MOREL"),
        "m1": lead(p.salesperson, "Jean", "Dupont", "Morel"),
        "x1": lead(p.other, "Jean", "Dupont", "Morel"),
        "a1": lead(p.manager, "Anne", "Durand", "Acme", email="anne@acme.fr"),
        "a2": lead(p.manager, "anne", "DURAND", "ACME SAS", email="Anne@Acme.fr"),
        "solo": lead(p.salesperson, "Paul", "Martin", "Zeta"),
    }
    Lead.objects.filter(pk=world["m1"].pk).update(merged_into=world["s1"])
    return world


def ids(*records: Any) -> list[int]:
    return sorted(r.pk for r in records)


def groups_of(scan: Any) -> list[tuple[str, list[int]]]:
    return [(g.key, sorted(g.record_ids)) for g in scan.groups.order_by("-size", "id")]
