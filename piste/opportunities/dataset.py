"""Generated opportunities for ``manage.py generate_dataset --entity opportunities``.

Rows for the bench company, in the sales world of the generated leads and partners (the `bench`
users, their teams, the lead sources and lost reasons), each with one of the company's partners
(prospects and customers first). They come oldest first over LEAD_YEARS years (ids, numbers and
creation times grow together), spread over the sales stages, owners, teams, amounts and expected
signing dates over twelve months either side of today. Their derived columns (``name_key``,
``weighted_amount``) are what ``piste.opportunities.services`` computes (a test recomputes them);
the kanban's running totals are rebuilt after the load.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from piste.core.management.commands.generate_dataset import (
    CITIES,
    LEAD_YEARS,
    SEED,
    Row,
    SalesWorld,
    _fold,
)
from piste.core.models import Activity
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.opportunities.selectors import opportunity_stages
from piste.opportunities.services import weighted_amount
from piste.partners.models import Partner
from piste.users.models import Company

# Shares of the stages by role (an open stage without role: OPEN_WEIGHT each).
STAGE_WEIGHTS: dict[str, int] = {
    OpportunityStage.Role.DEFAULT.value: 25,
    OpportunityStage.Role.WON.value: 15,
    OpportunityStage.Role.LOST.value: 12,
}
OPEN_WEIGHT = 16
CLOSED_WEIGHT = 3  # a closed stage without role, if the company has one
# A few opportunities in another currency than the euro (the kanban sums each apart).
CURRENCIES = ("EUR", "USD", "CHF")
CURRENCY_WEIGHTS = (96, 3, 1)
UNASSIGNED_SHARE = 0.05
# Expected signing dates: open opportunities within SPREAD_DAYS either side of today, closed ones
# in the past SPREAD_DAYS; a few have none yet.
SPREAD_DAYS = 365
UNDATED_SHARE = 0.03
NEEDS = (
    "Renouvellement du parc informatique", "Contrat de maintenance", "Formation des équipes",
    "Migration vers le cloud", "Équipement des nouveaux locaux", "Audit de sécurité",
    "Licences logicielles", "Refonte du site web", "Accompagnement RH", "Flotte de véhicules",
    "Mobilier de bureau", "Téléphonie d'entreprise", "Étude de faisabilité", "Campagne de marque",
    "Extension de garantie", "Prestation de nettoyage", "Fournitures annuelles",
    "Installation photovoltaïque", "Conseil en organisation", "Support premium",
)  # fmt: skip
LOST_COMMENTS = ("", "", "Budget reporté à l'an prochain.", "Le concurrent était moins cher.")


@dataclass
class OpportunityWorld:
    """What generated opportunities point at."""

    sales: SalesWorld
    # (stage id, weight, probability, is open, role) in kanban order.
    stages: list[tuple[int, int, int, bool, str]]
    partner_ids: list[int]


def partners_for_opportunities(company: Company) -> list[int]:
    """The company's open prospects and customers, oldest first (any partner when it has none of
    those)."""
    partners = Partner.objects.filter(company=company).order_by("id")
    found = list(
        partners.filter(Q(is_prospect=True) | Q(is_customer=True), is_closed=False).values_list(
            "id", flat=True
        )
    )
    return found or list(partners.values_list("id", flat=True))


def opportunity_world(
    company: Company, sales: SalesWorld, partner_ids: list[int]
) -> OpportunityWorld:
    stages = opportunity_stages(company)
    open_stages = [s for s in stages if s.is_open]
    rows = []
    for stage in stages:
        if stage.is_open:
            # Probabilities grow along the open stages: 10 % … 80 %.
            position = open_stages.index(stage)
            probability = 10 + 70 * position // max(len(open_stages) - 1, 1)
            weight = STAGE_WEIGHTS.get(stage.role, OPEN_WEIGHT)
        else:
            probability = 100 if stage.role == OpportunityStage.Role.WON else 0
            weight = STAGE_WEIGHTS.get(stage.role, CLOSED_WEIGHT)
        rows.append((stage.pk, weight, probability, stage.is_open, stage.role))
    return OpportunityWorld(sales=sales, stages=rows, partner_ids=partner_ids)


def _base() -> Row:
    return {
        f.attname: f.get_default()
        for f in Opportunity._meta.concrete_fields
        if not f.primary_key and not f.auto_created
    }


def _amount(rng: random.Random) -> Decimal:
    """Most deals between 2,000 and 50,000 €, a few large ones (a rounded log-normal draw)."""
    value = min(rng.lognormvariate(9.3, 1.1), 5_000_000)
    step = 100 if value < 100_000 else 1000
    return Decimal(max(int(value // step) * step, step))


def opportunity_rows(
    world: OpportunityWorld, count: int, kept: dict[int, datetime]
) -> Iterator[Row]:
    """``count`` opportunities, numbered 1…count. ``kept`` gets the creation time of every
    TIMELINE_EVERY-th one, by position."""
    from piste.core.management.commands.generate_dataset import TIMELINE_EVERY

    rng = random.Random(SEED + 12)  # noqa: S311 (fake data, not secrets)
    sales = world.sales
    now = timezone.now()
    today = timezone.localdate()
    start = now - timedelta(days=365 * LEAD_YEARS)
    step = (now - start) / max(count, 1)
    base = _base()
    stage_weights = [s[1] for s in world.stages]
    assignees = sales.assignee_ids
    partners = world.partner_ids
    for i in range(count):
        created = start + step * (i + rng.random())
        if i % TIMELINE_EVERY == 0:
            kept[i] = created
        stage_id, _weight, probability, is_open, role = rng.choices(world.stages, stage_weights)[0]
        if is_open:
            probability = max(0, min(100, probability + rng.choice((-5, 0, 0, 5))))
        assigned = None if rng.random() < UNASSIGNED_SHARE else assignees[i % len(assignees)]
        team = (
            sales.team_of[assigned]
            if assigned is not None
            else (rng.choice(sales.team_ids) if rng.random() < 0.5 else None)
        )
        amount = _amount(rng)
        expected: date | None = None
        if rng.random() >= UNDATED_SHARE:
            offset = rng.randint(-SPREAD_DAYS, SPREAD_DAYS if is_open else 0)
            expected = today + timedelta(days=offset)
        need = rng.choice(NEEDS)
        if rng.random() < 0.5:
            name = f"{need}, {rng.choice(CITIES)}"
        else:
            name = f"{need} {today.year + rng.randint(-1, 1)}"
        lost = role == OpportunityStage.Role.LOST
        yield {
            **base,
            "company_id": sales.company_id,
            "number": i + 1,
            "name": name,
            "name_key": _fold(name)[:200],
            "partner_id": partners[rng.randrange(len(partners))],
            "amount": amount,
            "currency": rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0],
            "probability": probability,
            "weighted_amount": weighted_amount(amount, probability),
            "expected_close_date": expected,
            "stage_id": stage_id,
            "assigned_to_id": assigned,
            "team_id": team,
            "source_id": rng.choice(sales.source_ids) if rng.random() < 0.5 else None,
            "lost_reason_id": rng.choice(sales.lost_reason_ids) if lost else None,
            "lost_comment": rng.choice(LOST_COMMENTS) if lost else "",
            "closed_at": None if is_open else created + (now - created) * rng.random() * 0.5,
            "created_by_id": assigned or sales.admin_id,
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }


def timeline_rows(
    sales: SalesWorld,
    content_type_id: int,
    timelines: Sequence[tuple[int, datetime]],
    length: int,
    stage_names: Sequence[str],
) -> Iterator[Row]:
    """``length`` timeline lines per opportunity: created, then assignments, stage and amount
    changes and notes."""
    rng = random.Random(SEED + 13)  # noqa: S311 (fake data, not secrets)
    people = list(sales.user_names.values())
    for object_id, created in timelines:
        for n in range(length):
            kind = n % 5
            data: dict[str, Any]
            if n == 0:
                verb, data = Activity.Verb.CREATED.value, {}
            elif kind == 1:
                before, after = rng.sample(people, 2)
                verb = Activity.Verb.ASSIGNED.value
                data = {"changes": [{"field": "assigned_to", "from": before, "to": after}]}
            elif kind == 2:
                before, after = rng.sample(list(stage_names), 2)
                verb = Activity.Verb.STATUS_CHANGED.value
                data = {"changes": [{"field": "stage", "from": before, "to": after}]}
            elif kind == 3:
                verb = Activity.Verb.CHANGED.value
                change = {"field": "amount", "from": f"{n * 1000:.2f}", "to": f"{n * 1100:.2f}"}
                data = {"changes": [change]}
            else:
                verb, data = Activity.Verb.NOTE.value, {"message": f"Relance téléphonique n° {n}"}
            yield {
                "company_id": sales.company_id,
                "content_type_id": content_type_id,
                "object_id": object_id,
                "verb": verb,
                "actor_id": sales.admin_id,
                "data": data,
                "created_at": created + timedelta(hours=n),
            }
