"""Reads on sale orders: an order is seen by whoever sees its partner (the access layer's
``partners_for_user``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from piste.core.access import get_or_404
from piste.orders.models import SaleOrder
from piste.partners.models import Partner
from piste.partners.selectors import partners_for_user

PARTNER_ORDERS = 20


def orders_for_user(user: Any) -> QuerySet[SaleOrder]:
    return SaleOrder.objects.filter(partner__in=partners_for_user(user))


def order_get_for_user(user: Any, pk: Any) -> SaleOrder:
    """One order the user may see, with its partner; 404 otherwise."""
    return get_or_404(orders_for_user(user).select_related("partner", "created_by"), pk)


def partner_orders(partner: Partner, limit: int = PARTNER_ORDERS) -> list[SaleOrder]:
    """The newest orders of a partner the caller already read through the access layer."""
    return list(SaleOrder.objects.filter(partner=partner).order_by("-order_date", "-id")[:limit])
