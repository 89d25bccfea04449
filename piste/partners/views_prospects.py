"""The prospect workflow's pages, when the company manages statuses on prospects: the status bar
of a prospect's page (its clicks), the Lose dialog, Reopen, the lists Open prospects and Closed
prospects, and the prospect kanban (its columns, their next cards, a card's move).

When the company does not manage statuses on prospects every URL here answers 404 with a page
saying so. Otherwise a partner is read through ``partner_get_for_user`` first (another company's,
or one outside the user's record scope, is a 404); a missing right is a 403 after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from piste.core.access import Actor, can_change, require_actor
from piste.core.boards import move_refused, wants_json
from piste.core.forms import add_service_errors, company_users, posted
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.timeline import timeline_context
from piste.partners import selectors_prospects as selectors
from piste.partners import services_prospects as services
from piste.partners.forms_prospects import ProspectFilterForm, ProspectLoseForm, StatusForm
from piste.partners.models import Partner, PartnerStatus
from piste.partners.selectors import partner_get_for_user
from piste.partners.selectors_prospects import ListKind

Role = PartnerStatus.Role
TEMPLATE = "partners/prospects.html"
TITLES = {
    ListKind.OPEN: gettext_lazy("Open prospects"),
    ListKind.CLOSED: gettext_lazy("Closed prospects"),
}


class _Off(Exception):
    """The company does not manage statuses on prospects."""


def _actor(request: AuthedHttpRequest) -> Actor:
    actor = require_actor(request.user)
    if not selectors.prospect_statuses_enabled(actor.company):
        raise _Off
    return actor


def _off_page(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request, TEMPLATE, {"off": True, "off_message": services.off_message()}, status=404
    )


def _for_change(request: AuthedHttpRequest, pk: int) -> tuple[Actor, Partner]:
    """The actor and the partner (404 when not visible), who must have the right to change it."""
    actor = _actor(request)
    partner = partner_get_for_user(request.user, pk)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    return actor, partner


def _messages_from(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _partner_page(request: AuthedHttpRequest, partner: Partner) -> HttpResponse:
    url = reverse("partners:detail", args=[partner.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def count_display(count: int) -> str:
    """A capped count as shown: "1,000+" past the cap (« 1 000+ » in French)."""
    if count > selectors.COUNT_CAP:
        return f"{number_format(selectors.COUNT_CAP, force_grouping=True)}+"
    return number_format(count, force_grouping=True)


# The status bar of a prospect's page -----------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One status of the bar and what a click on it does: "move", "win", "lose" or nothing."""

    status: PartnerStatus
    current: bool
    action: str
    # Why the status cannot be chosen by a click (its tooltip), "" when it can or is current.
    hint: str


def _steps(
    actor: Actor, partner: Partner, all_statuses: list[PartnerStatus], editable: bool
) -> tuple[list[Step], PartnerStatus | None]:
    current = next((s for s in all_statuses if s.pk == partner.status_id), None)
    closed = current is not None and current.role in (Role.WON, Role.LOST)
    steps = []
    for status in all_statuses:
        action, hint = "", ""
        if status.role == Role.WON:
            if not actor.has(Right.CREATE_CUSTOMERS):
                hint = _("Only users with the right « create customers » may win a prospect.")
            else:
                action = "win"
        elif status.role == Role.LOST:
            action = "lose"
        elif not status.is_open:
            hint = _("A prospect reaches a closed status only by being won or lost.")
        else:
            action = "move"
        if status == current or closed or not editable:
            action = ""
        steps.append(Step(status=status, current=status == current, action=action, hint=hint))
    return steps, current


def status_bar_context(
    request: AuthedHttpRequest, actor: Actor, partner: Partner
) -> dict[str, Any]:
    """What the partner page's status bar shows (``partner.html#prospect_status``): nothing when
    the company does not manage statuses on prospects or the partner is no prospect.

    Queries: the company's statuses, and the lost reason of a lost prospect.
    """
    if not selectors.prospect_statuses_enabled(actor.company) or not selectors.in_workflow(partner):
        return {"prospect_bar": False}
    editable = can_change(request.user, partner)
    steps, current = _steps(actor, partner, selectors.prospect_statuses(actor.company), editable)
    lost = current is not None and current.role == Role.LOST
    return {
        "prospect_bar": True,
        "prospect_steps": steps,
        "prospect_lost": lost,
        "prospect_lost_reason": partner.lost_reason if lost and partner.lost_reason_id else None,
        "can_reopen": lost and editable,
        "partner": partner,
    }


def _bar(request: AuthedHttpRequest, actor: Actor, partner: Partner) -> HttpResponse:
    """The bar again (with the click's messages), the form's new version and the timeline out
    of band: the page's form saves over the new status, not against it."""
    partner.refresh_from_db(fields=["version", "status", "lost_reason", "lost_comment"])
    context = {
        **status_bar_context(request, actor, partner),
        **timeline_context(request, partner),
        "bar_messages": True,
    }
    return render(request, "partners/partner.html#prospect_status_swap", context)


@login_required
@require_POST
def prospect_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A click on the status bar: an open status moves the prospect there; the won one wins it
    (it becomes a customer: the whole page is drawn again)."""
    try:
        actor, partner = _for_change(request, pk)
    except _Off:
        return _off_page(request)
    form = StatusForm(request.POST, company_id=actor.company.pk)
    if not form.is_valid():
        messages.error(request, form.message())
    else:
        status = form.cleaned_data["status"]
        try:
            services.prospect_change_status(actor=actor, partner=partner, status=status)
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            if status.role == Role.WON:
                messages.success(request, services.won_message())
                return _partner_page(request, partner)
    if request.htmx:
        return _bar(request, actor, partner)
    return _partner_page(request, partner)


@login_required
@require_http_methods(["GET", "POST"])
def prospect_lose(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The Lose dialog: a page of its own, or the ``#prospect-lose`` region of the partner page
    (HTMX)."""
    try:
        actor, partner = _for_change(request, pk)
    except _Off:
        return _off_page(request)
    form = ProspectLoseForm(posted(request), company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_lose(
                actor=actor,
                partner=partner,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The prospect “%(name)s” is lost.") % {"name": partner})
            return _partner_page(request, partner)
    status = (
        PartnerStatus.objects.filter(pk=partner.status_id).first() if partner.status_id else None
    )
    refusal = ""
    if not selectors.in_workflow(partner):
        refusal = _("Only a prospect has a prospect status.")
    elif status is not None and status.role == Role.LOST:
        refusal = _("This prospect is already lost.")
    elif status is not None and status.role == Role.WON:
        refusal = _("A won prospect cannot be lost: it is a customer now.")
    template = "partners/prospect_lose.html"
    if request.htmx and request.htmx.target == "prospect-lose":
        template += "#form"
    return render(request, template, {"partner": partner, "form": form, "refusal": refusal})


@login_required
@require_POST
def prospect_reopen(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A lost prospect goes back to the default status."""
    try:
        actor, partner = _for_change(request, pk)
    except _Off:
        return _off_page(request)
    try:
        services.prospect_reopen(actor=actor, partner=partner)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("The prospect “%(name)s” was reopened.") % {"name": partner})
    return _partner_page(request, partner)


# Lists and kanban ------------------------------------------------------------------------------


def _filters(
    request: AuthedHttpRequest, data: QueryDict, actor: Actor, all_statuses: list[PartnerStatus]
) -> ProspectFilterForm:
    return ProspectFilterForm(
        data, statuses=all_statuses, users=list(company_users(actor.company.pk))
    )


def _query(request: AuthedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@login_required
@require_GET
def prospect_list(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    """Open prospects or Closed prospects; an HTMX request aimed at ``#rows`` (search, filters,
    pages) gets the rows only."""
    try:
        actor = _actor(request)
    except _Off:
        return _off_page(request)
    if kind not in ListKind.ALL:
        raise Http404
    all_statuses = selectors.prospect_statuses(actor.company)
    form = _filters(request, request.GET, actor, all_statuses)
    filters = form.filters()
    page = selectors.prospects_page(
        user=request.user,
        kind=kind,
        filters=filters,
        cursor=request.GET.get("cursor"),
        all_statuses=all_statuses,
    )
    context: dict[str, Any] = {
        "view": kind,
        "title": TITLES[kind],
        "page": page,
        "count": count_display(page.count),
        "form": form,
        "filters": filters,
        "statuses": selectors.kind_statuses(kind, all_statuses),
        "status_names": {s.pk: s.name for s in all_statuses},
        "query": _query(request),
    }
    if request.htmx and request.htmx.target == "rows":
        return render(request, f"{TEMPLATE}#rows", context)
    return render(request, TEMPLATE, context)


def _column_context(
    actor: Actor, all_statuses: list[PartnerStatus], column: selectors.Column | None = None
) -> dict[str, Any]:
    """What cards need besides themselves. A board draws up to 120 cards, each with its
    keyboard move form: the options of its select (every status but the card's) are drawn once
    per status here, not once per card."""
    can_move = actor.has(Right.CHANGE_RECORDS)
    options = {}
    if can_move:
        for status in all_statuses:
            options[status.pk] = format_html_join(
                "",
                '<option value="{}">{}</option>',
                ((s.pk, s.name) for s in all_statuses if s.pk != status.pk),
            )
    return {
        "can_move": can_move,
        "column": column,
        "move_options": options,
        "move_label": _("New status"),
    }


@login_required
@require_GET
def prospect_kanban(request: AuthedHttpRequest) -> HttpResponse:
    """One column per status, its first cards by name and its capped count; a drop moves the
    prospect (``prospect_move``), the end of a column fetches more (``kanban_column``)."""
    try:
        actor = _actor(request)
    except _Off:
        return _off_page(request)
    all_statuses = selectors.prospect_statuses(actor.company)
    form = _filters(request, request.GET, actor, all_statuses)
    filters = form.filters()
    columns = selectors.kanban_columns(
        user=request.user, all_statuses=all_statuses, filters=filters
    )
    context = {
        **_column_context(actor, all_statuses),
        "view": "kanban",
        "title": _("Prospect kanban"),
        "columns": [(c, count_display(c.count)) for c in columns],
        "form": form,
        "filters": filters,
        "query": _query(request),
    }
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def kanban_column(request: AuthedHttpRequest, status_pk: int) -> HttpResponse:
    """The next cards of a column and, when more follow, the sentinel that fetches them."""
    try:
        actor = _actor(request)
    except _Off:
        return _off_page(request)
    all_statuses = selectors.prospect_statuses(actor.company)
    status = next((s for s in all_statuses if s.pk == status_pk), None)
    if status is None:
        raise Http404
    filters = _filters(request, request.GET, actor, all_statuses).filters()
    page = selectors.column_cards(
        user=request.user, status=status, filters=filters, cursor=request.GET.get("cursor")
    )
    column = selectors.Column(
        status=status, cards=page.rows, next_cursor=page.next_cursor, count=len(page.rows)
    )
    context = {**_column_context(actor, all_statuses, column), "query": _query(request)}
    return render(request, f"{TEMPLATE}#cards", context)


def _next(request: AuthedHttpRequest) -> str:
    url = request.POST.get("next", "")
    if (
        url.startswith("/prospects/")
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
        and "\n" not in url
        and "\r" not in url
    ):
        return url
    return reverse("prospects:kanban")


def _refused(request: AuthedHttpRequest, error: str, status: int) -> HttpResponse:
    return move_refused(request, error, status, _next(request))


@login_required
@require_POST
def prospect_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A card dropped in another column (or its keyboard form), as static/piste/kanban.js sends
    it: JSON for the board, a redirect back to the board for a plain form. Moving to the won
    column wins the prospect; to the lost one is refused (losing needs a reason)."""
    json = wants_json(request)
    try:
        actor = _actor(request)
    except _Off:
        if json:
            return JsonResponse({"ok": False, "error": services.off_message()}, status=404)
        return _off_page(request)
    try:
        partner = partner_get_for_user(request.user, pk)
    except Http404:
        if json:
            error = _("This prospect does not exist, or you may not see it.")
            return JsonResponse({"ok": False, "error": error}, status=404)
        raise
    if not actor.has(Right.CHANGE_RECORDS):
        if json:
            error = _("You may not change this prospect.")
            return JsonResponse({"ok": False, "error": error}, status=403)
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    form = StatusForm(request.POST, company_id=actor.company.pk)
    if not form.is_valid():
        return _refused(request, form.message(), 400)
    status: PartnerStatus = form.cleaned_data["status"]
    before = partner.status_id
    try:
        services.prospect_change_status(actor=actor, partner=partner, status=status)
    except ValidationError as exc:
        return _refused(request, " ".join(exc.messages), 409)
    message = services.won_message() if status.role == Role.WON else ""
    if not json:
        if message:
            messages.success(request, message)
        return redirect(_next(request))
    all_statuses = selectors.prospect_statuses(actor.company)
    query = QueryDict(request.POST.get("query", ""))
    filters = _filters(request, query, actor, all_statuses).filters()
    figures = {}
    for moved in {before, status.pk}:
        column_status = next((s for s in all_statuses if s.pk == moved), None)
        if column_status is not None:
            count = selectors.column_count(user=request.user, status=column_status, filters=filters)
            figures[str(moved)] = render_to_string(
                f"{TEMPLATE}#figures", {"count": count_display(count)}, request=request
            )
    card = ""
    try:
        row = selectors.prospect_card(request.user, partner.pk)
    except Partner.DoesNotExist:
        pass  # no longer visible to the user (a closed account)
    else:
        card = render_to_string(
            f"{TEMPLATE}#card",
            {**_column_context(actor, all_statuses), "card": row},
            request=request,
        )
    return JsonResponse({"ok": True, "card": card, "figures": figures, "message": message})
