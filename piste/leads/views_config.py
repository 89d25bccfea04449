"""Configuration → Lead statuses: the status bar's steps (order, open or closed, names) and which
statuses new, converted and lost leads take."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core.access import get_or_404, in_company, require_actor, right_required
from piste.core.forms import posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.timeline import timeline_for
from piste.leads import selectors, services
from piste.leads.forms_config import LeadStatusForm, LeadStatusRolesForm, status_ids
from piste.leads.models import LeadStatus

LIST_TEMPLATE = "leads/config/status_list.html"
FORM_TEMPLATE = "leads/config/status_form.html"


@dataclass(frozen=True)
class Row:
    """One status of the list with the orders its "move up" and "move down" buttons post."""

    status: LeadStatus
    up: str
    down: str


def _rows(statuses: list[LeadStatus]) -> list[Row]:
    ids = [s.pk for s in statuses]

    def swapped(i: int, j: int) -> str:
        if not 0 <= j < len(ids):
            return ""
        order = ids.copy()
        order[i], order[j] = order[j], order[i]
        return ",".join(map(str, order))

    return [Row(s, swapped(i, i - 1), swapped(i, i + 1)) for i, s in enumerate(statuses)]


def _add_errors(form: Form, exc: ValidationError) -> None:
    """The service's errors next to their fields; the others on top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _list_page(
    request: AuthedHttpRequest,
    *,
    statuses: list[LeadStatus],
    roles_form: LeadStatusRolesForm | None = None,
    reorder_error: str = "",
    partial: bool = False,
) -> HttpResponse:
    if roles_form is None:
        roles_form = LeadStatusRolesForm(statuses=statuses)
    context = {
        "rows": _rows(statuses),
        "roles_form": roles_form,
        "reorder_error": reorder_error,
    }
    return render(request, f"{LIST_TEMPLATE}#statuses" if partial else LIST_TEMPLATE, context)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def status_list(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    return _list_page(request, statuses=selectors.lead_statuses(actor.company))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_reorder(request: AuthedHttpRequest) -> HttpResponse:
    """The new order: from a drag and drop (every row's ``ids`` in their new order, posted by
    HTMX) or from a "move up"/"move down" button (its ``order``, the whole list once moved)."""
    actor = require_actor(request.user)
    order = request.POST.get("order")
    ids = status_ids(order.split(",") if order else request.POST.getlist("ids"))
    error = ""
    try:
        if ids is None:
            raise ValidationError(_("The list of statuses changed meanwhile: reload the page."))
        services.lead_statuses_reorder(actor=actor, ids=ids)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        # The list again, in the saved order: after a refused drop it puts the rows back.
        return _list_page(
            request,
            statuses=selectors.lead_statuses(actor.company),
            reorder_error=error,
            partial=True,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The order of the statuses was saved."))
    return redirect("lead_statuses:list")


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_roles(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    statuses = selectors.lead_statuses(actor.company)
    form = LeadStatusRolesForm(request.POST, statuses=statuses)
    if form.is_valid():
        try:
            services.lead_status_roles_update(
                actor=actor,
                default=form.status("default"),
                converted=form.status("converted"),
                lost=form.status("lost"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The lifecycle statuses were saved."))
            return redirect("lead_statuses:list")
    return _list_page(request, statuses=statuses, roles_form=form)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def status_create(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    form = LeadStatusForm(posted(request), initial={"is_open": True})
    if request.method == "POST" and form.is_valid():
        try:
            status = services.lead_status_create(
                actor=actor, name=form.cleaned_data["name"], is_open=form.cleaned_data["is_open"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": status.name})
            return redirect("lead_statuses:list")
    return render(request, FORM_TEMPLATE, {"form": form})


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def status_edit(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    status = get_or_404(in_company(request.user, LeadStatus.objects.all()), pk)
    if request.htmx and "before" in request.GET:
        return _timeline_partial(request, status)
    form = LeadStatusForm(posted(request), initial={"name": status.name, "is_open": status.is_open})
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_status_update(
                actor=actor,
                status=status,
                name=form.cleaned_data["name"],
                is_open=form.cleaned_data["is_open"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
            status.refresh_from_db()  # the heading shows the saved name, not the refused one
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": status.name})
            return redirect("lead_statuses:list")
    activities, next_before = timeline_for(status)
    return render(
        request,
        FORM_TEMPLATE,
        {"form": form, "object": status, "activities": activities, "next_before": next_before},
    )


def _timeline_partial(request: AuthedHttpRequest, status: LeadStatus) -> HttpResponse:
    try:
        before = int(request.GET["before"])
    except (TypeError, ValueError):
        before = None
    activities, next_before = timeline_for(status, before_id=before)
    return render(
        request,
        "components/timeline.html",
        {"activities": activities, "next_before": next_before, "object": status},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_delete(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    status = get_or_404(in_company(request.user, LeadStatus.objects.all()), pk)
    try:
        services.lead_status_delete(actor=actor, status=status)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("lead_statuses:edit", pk=status.pk)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": status.name})
    return redirect("lead_statuses:list")
