"""Benchmark scenarios of the warnings while typing (/duplicates/warnings/<entity>/): what the
lead, partner and contact forms ask as the user types, with values taken from the generated
dataset so that every rule runs and finds records.

The worst case is a common last name in a big city: "Martin" (every generated last name is
equally common) in "Paris", at a generated company (whose domain many addresses share, and
whose name a dozen partners and leads bear), with the lead's own phones and a partner's SIREN.
``bench.scenarios`` appends ``SCENARIOS`` to its own (and this module imports from it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench.scenarios import Dataset, Scenario

# What duplicate_warnings.js sends besides the fields and the address's city (bench.scenarios
# imports this module at its end: its own HTMX is not typed yet then).
HTMX: dict[str, str] = {"HX-Request": "true"}
TARGET_MS = 50
LAST_NAME = "Martin"
CITY = "Paris"


def _fact(d: Dataset, name: str, compute: Callable[[int], Any]) -> Any:
    """A fact read once per Dataset (as its cached properties are)."""
    facts = d.__dict__.setdefault("_duplicate_warnings", {})
    if name not in facts:
        facts[name] = compute(d.company_id)
    return facts[name]


def _lead(d: Dataset) -> Any:
    return _fact(d, "lead", _first_martin)


def _partner(d: Dataset) -> Any:
    return _fact(d, "partner", _first_organisation)


def _first_martin(company_id: int) -> Any:
    """The first Martin of Paris (in name order) with an address at a company's domain, both
    phones and a company name: the (company, name_key, id) index, then a few rows filtered."""
    from piste.core.text import fold
    from piste.leads.models import Lead

    key = fold(LAST_NAME)
    return (
        Lead.objects.filter(
            company_id=company_id,
            name_key__gte=f"{key} ",
            name_key__lt=f"{key}!",
            city_key=fold(CITY),
        )
        .exclude(enterprise_name="")
        .exclude(email="")
        .exclude(fixed_phone="")
        .exclude(mobile_phone="")
        .order_by("name_key", "id")
        .first()
    )


def _first_organisation(company_id: int) -> Any:
    """The first organisation with a SIREN, an address at its domain and a city."""
    from piste.partners.models import Partner

    return (
        Partner.objects.filter(company_id=company_id, partner_type="organisation")
        .exclude(siren="")
        .exclude(email="")
        .exclude(city_name="")
        .order_by("id")
        .first()
    )


def _lead_values(d: Dataset) -> dict[str, str]:
    lead = _lead(d)
    return {
        "email": lead.email,
        "fixed_phone": lead.fixed_phone,
        "mobile_phone": lead.mobile_phone,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "enterprise_name": lead.enterprise_name,
        "siren": _partner(d).siren,
        "city": CITY,
    }


def _url(entity: str, values: dict[str, str]) -> str:
    return f"/duplicates/warnings/{entity}/?{urlencode(values)}"


def _link(name: str, pk: int) -> str:
    from django.urls import reverse

    return f'href="{reverse(name, args=[pk])}"'


SCENARIOS: list[Scenario] = [
    Scenario(
        name="duplicate_warning_lead",
        target_p95_ms=TARGET_MS,
        url=lambda d: _url("lead", _lead_values(d)),
        what="Warnings while typing a lead, every field filled (a Martin of Paris at a generated "
        "company, its phones, a partner's SIREN): same email, phone, SIREN (partial indexes), "
        "similar name at the same company (enterprise keys, contacts through their partner's "
        "name), the company as a partner, similar name in the same city (100 names each side of "
        "the typed one in the name indexes), same domain: one UNION ALL of small index walks per "
        "table.",
        headers=HTMX,
        expect=lambda d: _link("leads:detail", _lead(d).pk),
        server_side=True,
    ),
    Scenario(
        name="duplicate_warning_partner",
        target_p95_ms=TARGET_MS,
        url=lambda d: _url(
            "partner",
            {
                "partner_type": "organisation",
                "name": _partner(d).name,
                "email": _partner(d).email,
                "siret": _partner(d).siret or _partner(d).siren,
                "city": _partner(d).city_name,
                "exclude": str(_partner(d).pk),
            },
        ),
        what="Warnings while editing an organisation (its own record left out): its address, "
        "SIRET, name (partners and leads of that company, then those named next to it in its "
        "city) and domain.",
        headers=HTMX,
        expect=lambda d: 'data-testid="duplicate-warnings"',
        server_side=True,
    ),
    Scenario(
        name="duplicate_warning_contact",
        target_p95_ms=TARGET_MS,
        url=lambda d: _url("contact", {k: v for k, v in _lead_values(d).items() if k != "siren"}),
        what="Warnings while typing a contact with the lead's details: a contact's company is "
        "its partner's (no company-name rule), no SIREN.",
        headers=HTMX,
        expect=lambda d: _link("leads:detail", _lead(d).pk),
        server_side=True,
    ),
]
