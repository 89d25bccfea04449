"""Configuration → Webhooks: the subscriptions (URL, events, secret, active) and the deliveries
log with each answer and a replay, for the administrators (Manage the configuration)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import require_right, right_required
from piste.core.forms import add_service_errors, posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.webhooks import selectors, services
from piste.webhooks.forms import SubscriptionForm
from piste.webhooks.models import WebhookDelivery

config_required = right_required(Right.MANAGE_CONFIGURATION)


@login_required
@config_required
@require_GET
def subscriptions(request: AuthedHttpRequest) -> HttpResponse:
    # Queries: the subscriptions (a company has a few).
    rows = list(selectors.subscriptions_for_config(request.user))
    return render(request, "webhooks/subscriptions.html", {"rows": rows})


@login_required
@config_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    subscription = selectors.subscription_get_for_config(request.user, pk) if pk else None
    form = SubscriptionForm(posted(request), instance=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.subscription_save(
                actor=actor, data=form.cleaned_data, subscription=subscription
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The webhook is saved."))
            return redirect("webhooks:edit", saved.pk)
    context = {
        "form": form,
        "object": subscription,
        "secret": services.subscription_secret(subscription) if subscription else "",
    }
    return render(request, "webhooks/subscription_form.html", context)


@login_required
@config_required
@require_POST
def subscription_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    subscription = selectors.subscription_get_for_config(request.user, pk)
    services.subscription_delete(actor=actor, subscription=subscription)
    messages.success(request, _("The webhook is deleted."))
    return redirect("webhooks:list")


@login_required
@config_required
@require_POST
def subscription_secret_renew(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    subscription = selectors.subscription_get_for_config(request.user, pk)
    services.subscription_secret_renew(actor=actor, subscription=subscription)
    messages.success(request, _("A new secret is set: the receiver must use it from now on."))
    return redirect("webhooks:edit", subscription.pk)


@login_required
@config_required
@require_POST
def subscription_ping(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    subscription = selectors.subscription_get_for_config(request.user, pk)
    try:
        delivery = services.subscription_ping(actor=actor, subscription=subscription)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("webhooks:edit", subscription.pk)
    messages.success(
        request,
        _("A test is on its way: reload this page in a moment to see the receiver's answer."),
    )
    return redirect("webhooks:delivery", delivery.pk)


@login_required
@config_required
@require_GET
def deliveries(request: AuthedHttpRequest) -> HttpResponse:
    webhook = request.GET.get("webhook", "")
    subscription = selectors.subscription_get_for_config(request.user, webhook) if webhook else None
    state = request.GET.get("state", "")
    page = selectors.deliveries_page(
        request.user, subscription=subscription, state=state, cursor=request.GET.get("cursor")
    )
    context = {
        "page": page,
        "subscription": subscription,
        "state": state,
        "states": WebhookDelivery.State.choices,
    }
    return render(request, "webhooks/deliveries.html", context)


@login_required
@config_required
@require_GET
def delivery_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.delivery_get_for_config(request.user, pk)
    body = services.delivery_body(delivery).decode()
    return render(request, "webhooks/delivery.html", {"object": delivery, "body": body})


@login_required
@config_required
@require_POST
def delivery_replay(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_right(request.user, Right.MANAGE_CONFIGURATION)
    delivery = selectors.delivery_get_for_config(request.user, pk)
    try:
        replay = services.delivery_replay(actor=actor, delivery=delivery)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("webhooks:delivery", delivery.pk)
    messages.success(request, _("The delivery is queued again."))
    return redirect("webhooks:delivery", replay.pk)
