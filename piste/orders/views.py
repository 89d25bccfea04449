"""Order pages: create an order from its partner's page, the order page (its fields, editable
while it is a draft; Confirm; Cancel). Every order is read through ``order_get_for_user``: the
order of a partner the user cannot see is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import can_change, require_actor, right_required
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.timeline import older_page, timeline_context
from piste.orders import services
from piste.orders.forms import OrderForm
from piste.orders.models import SaleOrder
from piste.orders.selectors import PARTNER_ORDERS, order_get_for_user, partner_orders
from piste.partners.selectors import partner_get_for_user

TEMPLATE = "orders/order.html"


@login_required
@require_GET
def order_list(request: AuthedHttpRequest) -> HttpResponse:
    """The newest orders of the partner named by ``?partner=`` (its page's Orders tab)."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, request.GET.get("partner", ""))
    orders = partner_orders(partner, limit=PARTNER_ORDERS + 1)
    context = {
        "partner": partner,
        "orders": orders[:PARTNER_ORDERS],
        "more": len(orders) > PARTNER_ORDERS,
        "shown": PARTNER_ORDERS,
        "can_create": actor.has(Right.CREATE_RECORDS),
    }
    template = "orders/partner_orders.html"
    return render(request, f"{template}#list" if request.htmx else template, context)


@login_required
@right_required(Right.CREATE_RECORDS)
@require_http_methods(["GET", "POST"])
def order_create(request: AuthedHttpRequest) -> HttpResponse:
    """« Nouvelle commande » of the partner named by ``?partner=``."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, request.GET.get("partner", ""))
    form = OrderForm(posted(request), initial={"order_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(actor=actor, partner=partner, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Order %(reference)s created.") % {"reference": order})
            return redirect("orders:detail", order.pk)
    return render(request, TEMPLATE, {"form": form, "partner": partner, "order": None})


@login_required
@require_http_methods(["GET", "POST"])
def order_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    order = order_get_for_user(request.user, pk)
    if (older := older_page(request, order)) is not None:
        return older
    editable = order.status == SaleOrder.Status.DRAFT and can_change(request.user, order)
    if request.method == "POST" and not editable:
        raise PermissionDenied(_("Only a draft order can be changed."))
    form = OrderForm(posted(request), instance=order)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_update(
                actor=actor,
                order=order,
                data=form.cleaned_data,
                version=form.cleaned_data.get("version") or 0,
            )
        except services.ConflictError as exc:
            form.add_error(None, exc)
            form.set_version(SaleOrder.objects.values_list("version", flat=True).get(pk=order.pk))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Order %(reference)s saved.") % {"reference": order})
            return redirect("orders:detail", order.pk)
    context = {
        "form": form,
        "order": order,
        "partner": order.partner,
        "editable": editable,
        "can_change": can_change(request.user, order),
        **timeline_context(request, order),
    }
    return render(request, TEMPLATE, context)


def _transition(request: AuthedHttpRequest, pk: int, confirm: bool) -> HttpResponse:
    actor = require_actor(request.user)
    order = order_get_for_user(request.user, pk)
    try:
        if confirm:
            services.order_confirm(actor=actor, order=order)
        else:
            services.order_cancel(actor=actor, order=order)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        done = (
            _("Order %(reference)s confirmed.") if confirm else _("Order %(reference)s cancelled.")
        )
        messages.success(request, done % {"reference": order})
    return redirect("orders:detail", order.pk)


@login_required
@require_POST
def order_confirm(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, confirm=True)


@login_required
@require_POST
def order_cancel(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, confirm=False)
