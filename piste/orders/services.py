"""Writes on sale orders: create, change a draft, confirm (the first confirmed order of a prospect
makes it a customer), cancel. Each checks the actor's rights on the order's partner and writes
the timeline in its transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from piste.core.access import Actor
from piste.core.models import Activity
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.timeline import activity_record
from piste.orders.models import MAX_TOTAL, SaleOrder
from piste.partners.models import Partner
from piste.partners.services import partner_set_types

# What a user types on the order form, in the order the timeline lists their changes.
FORM_FIELDS = ["order_date", "total", "description"]


def _require(actor: Actor, right: Right, partner: Partner) -> None:
    if partner.company_id != actor.company.pk:
        raise PermissionDenied
    if not actor.has(right):
        raise PermissionDenied(right.label)


def _check(data: dict[str, Any]) -> None:
    errors = {}
    if data.get("order_date") is None:
        errors["order_date"] = _("Give the order date.")
    total = data.get("total")
    if total is None:
        errors["total"] = _("Give the total.")
    elif not 0 <= total <= MAX_TOTAL:
        errors["total"] = _("The total is between 0 and 999,999,999,999.99.")
    if errors:
        raise ValidationError(errors)


def order_create(*, actor: Actor, partner: Partner, data: dict[str, Any]) -> SaleOrder:
    """A draft order of ``partner`` numbered after the company's last one."""
    _require(actor, Right.CREATE_RECORDS, partner)
    values = {name: data.get(name) for name in FORM_FIELDS}
    values["description"] = (values["description"] or "").strip()
    _check(values)
    # Two orders created at once may read the same last number: the unique constraint refuses
    # the second, which takes the next one.
    attempts = 0
    while True:
        try:
            with transaction.atomic():
                last = SaleOrder.objects.filter(company_id=actor.company.pk).aggregate(
                    last=Max("number")
                )["last"]
                order = SaleOrder.objects.create(
                    company_id=actor.company.pk,
                    number=(last or 0) + 1,
                    partner=partner,
                    created_by=actor.user,
                    **values,
                )
                activity_record(obj=order, verb=Activity.Verb.CREATED, actor=actor.user)
                return order
        except IntegrityError:
            attempts += 1
            if attempts == 3:
                raise


@transaction.atomic
def order_update(
    *, actor: Actor, order: SaleOrder, data: dict[str, Any], version: int
) -> SaleOrder:
    """Change a draft order; a confirmed or cancelled one is history."""
    _require(actor, Right.CHANGE_RECORDS, order.partner)
    locked = SaleOrder.objects.select_for_update().get(pk=order.pk)
    if locked.version != version:
        raise ConflictError(
            _("Someone else changed this order since you opened it: check their changes.")
        )
    if locked.status != SaleOrder.Status.DRAFT:
        raise ValidationError(_("Only a draft order can be changed."))
    values = {name: data.get(name) for name in FORM_FIELDS}
    values["description"] = (values["description"] or "").strip()
    _check(values)
    changes = [
        {"field": name, "from": _shown(getattr(locked, name)), "to": _shown(value)}
        for name, value in values.items()
        if getattr(locked, name) != value
    ]
    if not changes:
        return locked
    for name, value in values.items():
        setattr(locked, name, value)
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    activity_record(
        obj=locked, verb=Activity.Verb.CHANGED, actor=actor.user, data={"changes": changes}
    )
    return locked


def _shown(value: Any) -> Any:
    """A value as the timeline keeps it (JSON)."""
    return value if value is None or isinstance(value, str | int | bool) else str(value)


@transaction.atomic
def order_confirm(*, actor: Actor, order: SaleOrder) -> SaleOrder:
    """Confirm a draft order. The first confirmed order of a partner that is not yet a customer
    makes it one (and no longer a prospect), which only users with the right « create
    customers » may do; both timelines say so."""
    partner = Partner.objects.select_for_update().get(pk=order.partner_id)
    _require(actor, Right.CHANGE_RECORDS, partner)
    locked = SaleOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != SaleOrder.Status.DRAFT:
        raise ValidationError(_("Only a draft order can be confirmed."))
    becomes_customer = not partner.is_customer
    if becomes_customer and not actor.has(Right.CREATE_CUSTOMERS):
        raise ValidationError(
            _(
                "Confirming this order makes the prospect a customer: only users with the "
                "right « create customers » may do it."
            )
        )
    locked.status = SaleOrder.Status.CONFIRMED
    locked.confirmed_at = timezone.now()
    locked.version = F("version") + 1
    locked.save(update_fields=["status", "confirmed_at", "version", "updated_at"])
    locked.refresh_from_db()
    activity_record(
        obj=locked,
        verb=Activity.Verb.STATUS_CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "status", "from": _("draft"), "to": _("confirmed")}]},
    )
    if becomes_customer:
        partner_set_types(
            actor=actor,
            partner=partner,
            types={"is_customer": True, "is_prospect": False},
            message=_("Order %(reference)s confirmed: a customer now.")
            % {"reference": locked.reference},
        )
    return locked


@transaction.atomic
def order_cancel(*, actor: Actor, order: SaleOrder) -> SaleOrder:
    """Cancel a draft or confirmed order (a customer stays a customer)."""
    _require(actor, Right.CHANGE_RECORDS, order.partner)
    locked = SaleOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status == SaleOrder.Status.CANCELLED:
        raise ValidationError(_("This order is already cancelled."))
    before = locked.get_status_display()
    locked.status = SaleOrder.Status.CANCELLED
    locked.version = F("version") + 1
    locked.save(update_fields=["status", "version", "updated_at"])
    locked.refresh_from_db()
    activity_record(
        obj=locked,
        verb=Activity.Verb.STATUS_CHANGED,
        actor=actor.user,
        data={"changes": [{"field": "status", "from": str(before), "to": _("cancelled")}]},
    )
    return locked
