"""Configuration pages of a status workflow (lead statuses, prospect statuses, sales stages):
the steps in order (drag and drop or arrows), add, rename, open or close, delete, and which step
holds each role. One set of views for every ``StatusKind``; ``status_urls`` mounts them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from piste.core import statuses as services
from piste.core.access import get_or_404, in_company, require_actor, right_required
from piste.core.forms import posted
from piste.core.forms_statuses import StatusForm, StatusRolesForm, status_ids
from piste.core.http import AuthedHttpRequest
from piste.core.models import WorkflowStatus
from piste.core.rights import Right
from piste.core.statuses import StatusKind
from piste.core.timeline import timeline_for

LIST_TEMPLATE = "config/status_list.html"
FORM_TEMPLATE = "config/status_form.html"


@dataclass(frozen=True)
class Row:
    """One step of the list with the orders its "move up" and "move down" buttons post."""

    status: WorkflowStatus
    role: str
    up: str
    down: str


def _rows(kind: StatusKind, steps: list[WorkflowStatus]) -> list[Row]:
    ids = [s.pk for s in steps]

    def swapped(i: int, j: int) -> str:
        if not 0 <= j < len(ids):
            return ""
        order = ids.copy()
        order[i], order[j] = order[j], order[i]
        return ",".join(map(str, order))

    def role(step: WorkflowStatus) -> str:
        rule = kind.rule(step.role)
        return str(rule.label) if rule else ""

    return [Row(s, role(s), swapped(i, i - 1), swapped(i, i + 1)) for i, s in enumerate(steps)]


def _add_errors(form: Form, exc: ValidationError) -> None:
    """The service's errors next to their fields; the others on top of the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _list_page(
    request: AuthedHttpRequest,
    kind: StatusKind,
    *,
    steps: list[WorkflowStatus],
    roles_form: StatusRolesForm | None = None,
    reorder_error: str = "",
    partial: bool = False,
) -> HttpResponse:
    if roles_form is None:
        roles_form = StatusRolesForm(kind=kind, statuses=steps)
    context = {
        "kind": kind,
        "rows": _rows(kind, steps),
        "roles_form": roles_form,
        "reorder_error": reorder_error,
    }
    return render(request, f"{LIST_TEMPLATE}#statuses" if partial else LIST_TEMPLATE, context)


def _steps(kind: StatusKind, request: AuthedHttpRequest) -> list[Any]:
    return services.statuses(kind, require_actor(request.user).company)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_GET
def status_list(request: AuthedHttpRequest, kind: StatusKind) -> HttpResponse:
    return _list_page(request, kind, steps=_steps(kind, request))


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_reorder(request: AuthedHttpRequest, kind: StatusKind) -> HttpResponse:
    """The new order: from a drag and drop (every row's ``ids`` in their new order, posted by
    HTMX) or from a "move up"/"move down" button (its ``order``, the whole list once moved)."""
    actor = require_actor(request.user)
    order = request.POST.get("order")
    ids = status_ids(order.split(",") if order else request.POST.getlist("ids"))
    error = ""
    try:
        if ids is None:
            raise ValidationError(_("The list of statuses changed meanwhile: reload the page."))
        services.statuses_reorder(kind, actor=actor, ids=ids)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        # The list again, in the saved order: after a refused drop it puts the rows back.
        return _list_page(
            request, kind, steps=_steps(kind, request), reorder_error=error, partial=True
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The order of the statuses was saved."))
    return redirect(f"{kind.namespace}:list")


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_roles(request: AuthedHttpRequest, kind: StatusKind) -> HttpResponse:
    actor = require_actor(request.user)
    steps = _steps(kind, request)
    form = StatusRolesForm(request.POST, kind=kind, statuses=steps)
    if form.is_valid():
        try:
            services.status_roles_update(kind, actor=actor, chosen=form.chosen())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The lifecycle statuses were saved."))
            return redirect(f"{kind.namespace}:list")
    return _list_page(request, kind, steps=steps, roles_form=form)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def status_create(request: AuthedHttpRequest, kind: StatusKind) -> HttpResponse:
    actor = require_actor(request.user)
    form = StatusForm(posted(request), kind=kind, initial={"is_open": True})
    if request.method == "POST" and form.is_valid():
        try:
            step = services.status_create(
                kind,
                actor=actor,
                name=form.cleaned_data["name"],
                is_open=form.cleaned_data["is_open"],
                folded=bool(form.cleaned_data.get("folded")),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": step.name})
            return redirect(f"{kind.namespace}:list")
    return render(request, FORM_TEMPLATE, {"kind": kind, "form": form})


def _step(kind: StatusKind, request: AuthedHttpRequest, pk: str) -> Any:
    return get_or_404(in_company(request.user, kind.model.objects.all()), pk)


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_http_methods(["GET", "POST"])
def status_edit(request: AuthedHttpRequest, kind: StatusKind, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    step = _step(kind, request, pk)
    if request.htmx and "before" in request.GET:
        return _timeline_partial(request, step)
    form = StatusForm(
        posted(request),
        kind=kind,
        initial={"name": step.name, "is_open": step.is_open, "folded": step.folded},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.status_update(
                kind,
                actor=actor,
                status=step,
                name=form.cleaned_data["name"],
                is_open=form.cleaned_data["is_open"],
                folded=form.cleaned_data.get("folded"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
            step.refresh_from_db()  # the heading shows the saved name, not the refused one
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": step.name})
            return redirect(f"{kind.namespace}:list")
    activities, next_before = timeline_for(step)
    rule = kind.rule(step.role)
    context = {
        "kind": kind,
        "form": form,
        "object": step,
        "role": rule.label if rule else "",
        "activities": activities,
        "next_before": next_before,
    }
    return render(request, FORM_TEMPLATE, context)


def _timeline_partial(request: AuthedHttpRequest, step: WorkflowStatus) -> HttpResponse:
    try:
        before = int(request.GET["before"])
    except (TypeError, ValueError):
        before = None
    activities, next_before = timeline_for(step, before_id=before)
    return render(
        request,
        "components/timeline.html",
        {"activities": activities, "next_before": next_before, "object": step},
    )


@login_required
@right_required(Right.MANAGE_CONFIGURATION)
@require_POST
def status_delete(request: AuthedHttpRequest, kind: StatusKind, pk: str) -> HttpResponse:
    actor = require_actor(request.user)
    step = _step(kind, request, pk)
    try:
        services.status_delete(kind, actor=actor, status=step)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{kind.namespace}:edit", pk=step.pk)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": step.name})
    return redirect(f"{kind.namespace}:list")


def status_urls(kind: StatusKind) -> list[URLPattern]:
    """The configuration pages of ``kind``, to include under its namespace."""
    extra = {"kind": kind}
    return [
        path("", status_list, extra, name="list"),
        path("new/", status_create, extra, name="create"),
        path("reorder/", status_reorder, extra, name="reorder"),
        path("roles/", status_roles, extra, name="roles"),
        path("<str:pk>/", status_edit, extra, name="edit"),
        path("<str:pk>/delete/", status_delete, extra, name="delete"),
    ]
