"""The demo orders of Durand Conseil: a confirmed order for each open customer, a draft for a
validated prospect, written through the order services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from piste.core.access import require_actor
from piste.orders.services import order_confirm, order_create
from piste.partners.models import Partner
from piste.users.models import Company, User


def demo_orders(company: Company, users: dict[str, User]) -> None:
    manager = require_actor(users["manager"])
    today = timezone.localdate()
    customers = Partner.objects.filter(company=company, is_customer=True, is_closed=False)
    for n, partner in enumerate(customers.order_by("name_key")):
        order = order_create(
            actor=manager,
            partner=partner,
            data={
                "order_date": today - dt.timedelta(days=30 + 15 * n),
                "total": Decimal("4800.00") + 1250 * n,
                "description": "Mission de conseil — phase 1",
            },
        )
        order_confirm(actor=manager, order=order)
    prospect = (
        Partner.objects.filter(company=company, is_prospect=True)
        .exclude(prospect_validated_at=None)
        .order_by("name_key")
        .first()
    )
    if prospect is not None:
        order_create(
            actor=manager,
            partner=prospect,
            data={
                "order_date": today,
                "total": Decimal("2350.00"),
                "description": "Audit commercial — en attente du bon de commande signé",
            },
        )
