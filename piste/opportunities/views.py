"""Opportunity pages: the lists (portfolio, mine, open, closed; a partner's tab), create, the
opportunity page (its form, status bar, timeline) and its actions: stage, win, lose, reopen,
delete.

Every opportunity is read through ``opportunity_get_for_user`` first, so another company's (or
one outside the user's record scope) is a 404 on every URL; a missing right is a 403 after that.
Writes go through ``piste.opportunities.services``.

HTMX: the status bar answers with the bar, the header badge, the form's version and the
timeline; the Win and Lose dialogs open in the page's ``#opportunity-dialog`` region and answer
a redirect once done.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from piste.core.access import Actor, company_required, require_actor, right_required
from piste.core.forms import add_service_errors, company_users, posted
from piste.core.html import html_to_plain
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.text import is_id
from piste.core.timeline import older_page, timeline_context
from piste.leads.forms import LoseForm
from piste.leads.selectors import lead_get_for_user
from piste.opportunities import selectors, services
from piste.opportunities.forms import (
    WIN_TYPES,
    OpportunityFilterForm,
    OpportunityForm,
    WinForm,
    contact_options,
)
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.opportunities.selectors import ListKind
from piste.partners.selectors import partner_get_for_user
from piste.users.models import Team

LIST = "opportunities/list.html"
DETAIL = "opportunities/detail.html"
Role = OpportunityStage.Role
TITLES = {
    ListKind.ALL: gettext_lazy("Opportunity portfolio"),
    ListKind.MINE: gettext_lazy("My opportunities"),
    ListKind.OPEN: gettext_lazy("Open opportunities"),
    ListKind.CLOSED: gettext_lazy("Closed opportunities"),
}
# (sort name in selectors.SORTS or "", column heading), in the order of the table.
COLUMNS = [
    ("", pgettext_lazy("opportunity list column", "Reference")),
    ("name", gettext_lazy("Name")),
    ("", gettext_lazy("Customer / prospect")),
    ("amount", gettext_lazy("Amount")),
    ("", gettext_lazy("Weighted")),
    ("expected", gettext_lazy("Signing")),
    ("", gettext_lazy("Sales stage")),
    ("", gettext_lazy("Owner")),
]
# A search or a date range has no running totals: its figures count at most this many rows.
LIVE_CAP = 1000


# Display -------------------------------------------------------------------------------------


def money(amount: Decimal | int | None, currency: str) -> str:
    """« 12 500,00 € »: grouped and with the decimal mark of the active language."""
    number = number_format(Decimal(amount or 0), decimal_pos=2, force_grouping=True)
    return f"{number}\xa0{'€' if currency == 'EUR' else currency}"


def _owner_name(user: Any) -> str:
    if user is None:
        return ""
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _decorate(rows: list[Opportunity]) -> list[Opportunity]:
    """What a row shows, computed once per row (no template filter per cell)."""
    for row in rows:
        row.amount_display = money(row.amount, row.currency)  # type: ignore[attr-defined]
        row.weighted_display = money(row.weighted_amount, row.currency)  # type: ignore[attr-defined]
        row.owner_name = _owner_name(row.assigned_to)  # type: ignore[attr-defined]
    return rows


@dataclass
class ListFigures:
    """What a list shows above its rows: how many, and their amounts per currency."""

    number: int
    count: str  # the number as shown ("1 000+" when counting stopped)
    amounts: list[tuple[str, str]]  # (amount, weighted amount) formatted, per currency


def _figures(
    request: AuthedHttpRequest,
    kind: str,
    filters: selectors.OpportunityFilters,
    stages: list[OpportunityStage],
) -> ListFigures:
    """The list's figures: from the running totals (StageTotal, a few rows whatever the number of
    opportunities) when the filters are columns of them; else counted over at most LIVE_CAP + 1
    matching opportunities. Queries: 1."""
    from piste.opportunities import selectors_board as board

    wanted = selectors.kind_stage_ids(kind, stages)
    stage_ids = [s.pk for s in stages] if wanted is None else wanted
    if filters.stages:
        stage_ids = [pk for pk in stage_ids if pk in filters.stages]
    amounts: dict[str, list[Decimal]] = {}
    if not (filters.q or filters.expected_from or filters.expected_to):
        totals = board.stage_totals_for_user(request.user).filter(stage_id__in=stage_ids)
        if kind == ListKind.MINE:
            totals = totals.filter(owner_id=request.user.pk)
        if filters.owner:
            totals = totals.filter(owner_id=filters.owner)
        if filters.team:
            totals = totals.filter(team_id=filters.team)
        rows = totals.values("currency", "count", "amount", "weighted_amount")
        count = 0
        capped = False
        for row in rows:
            count += row["count"]
            sums = amounts.setdefault(row["currency"], [Decimal(0), Decimal(0)])
            sums[0] += Decimal(row["amount"])
            sums[1] += Decimal(row["weighted_amount"])
    else:
        matching = selectors.filtered_opportunities(
            user=request.user, kind=kind, filters=filters, stages=stages
        ).filter(stage_id__in=stage_ids)
        found = list(
            matching.order_by().values_list("currency", "amount", "weighted_amount")[: LIVE_CAP + 1]
        )
        capped = len(found) > LIVE_CAP
        count = min(len(found), LIVE_CAP)
        for currency, amount, weighted in found[:LIVE_CAP]:
            sums = amounts.setdefault(currency, [Decimal(0), Decimal(0)])
            sums[0] += amount
            sums[1] += weighted
    shown = number_format(count, force_grouping=True)
    ordered = sorted(amounts.items(), key=lambda item: (item[0] != "EUR", item[0]))
    return ListFigures(
        number=count,
        count=f"{shown}+" if capped else shown,
        amounts=[(money(a, c), money(w, c)) for c, (a, w) in ordered],
    )


def _kind(kind: str) -> str:
    if kind not in ListKind.KINDS:
        raise Http404
    return kind


# Lists ---------------------------------------------------------------------------------------


@login_required
@company_required
@require_GET
def opportunity_list(request: AuthedHttpRequest, kind: str = ListKind.ALL) -> HttpResponse:
    """One list; an HTMX request aimed at ``#rows`` (filters, sort, pages) gets the rows only.
    ``/opportunities/?partner=<id>`` is a partner's tab instead (``partner_tab``).

    Queries (a full page): the session and the actor (4), the stages (1), the figures (1), the
    page (1; 2 sorted by signing date where the dated rows end), the owners and teams of the
    filter panel (2).
    """
    if kind == ListKind.ALL and "partner" in request.GET:
        return partner_tab(request)
    actor = require_actor(request.user)
    kind = _kind(kind)
    stages = selectors.opportunity_stages(actor.company)
    form = OpportunityFilterForm(request.GET)
    filters = form.filters()
    sort = selectors.sort_of(request.GET.get("sort"))
    page = selectors.opportunities_page(
        user=request.user,
        kind=kind,
        filters=filters,
        sort=sort,
        cursor=request.GET.get("cursor"),
        stages=stages,
    )
    _decorate(page.rows)
    context: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "page": page,
        "sort": sort,
        "form": form,
        "filters": filters,
        "columns": COLUMNS,
        "figures": _figures(request, kind, filters, stages),
        "can_create": actor.has(Right.CREATE_RECORDS),
    }
    if request.htmx and request.htmx.target == "rows":
        return render(request, f"{LIST}#rows", context)
    context.update(
        stages=[
            s
            for s in stages
            if kind == ListKind.ALL or kind == ListKind.MINE or s.is_open == (kind == "open")
        ],
        users=list(
            company_users(actor.company.pk).only("id", "username", "first_name", "last_name")
        ),
        teams=list(Team.objects.filter(company_id=actor.company.pk).order_by("name_key", "id")),
        show_filters=filters != selectors.OpportunityFilters(q=filters.q),
    )
    return render(request, LIST, context)


def partner_tab(request: AuthedHttpRequest) -> HttpResponse:
    """The newest opportunities of the partner named by ``?partner=`` (its page's Opportunities
    tab: the ``list`` partial for HTMX, a page of its own otherwise). Queries: the partner (1),
    its opportunities (1)."""
    actor = require_actor(request.user)
    partner = partner_get_for_user(request.user, request.GET.get("partner", ""))
    limit = selectors.PARTNER_OPPORTUNITIES
    rows = _decorate(selectors.partner_opportunities(partner, limit=limit + 1, user=request.user))
    context = {
        "partner": partner,
        "opportunities": rows[:limit],
        "more": len(rows) > limit,
        "shown": limit,
        "can_create": actor.has(Right.CREATE_RECORDS),
    }
    template = "opportunities/partner_opportunities.html"
    return render(request, f"{template}#list" if request.htmx else template, context)


@login_required
@company_required
@require_GET
def contact_choices(request: AuthedHttpRequest) -> HttpResponse:
    """The ``<option>``s of the contacts select for the partner chosen (``?partner=<id>``): the
    form asks them when its partner changes. Nothing for a partner the user does not see."""
    raw = request.GET.get("partner", "")
    partner_id = int(raw) if is_id(raw) else None
    options = contact_options(request.user, partner_id) if partner_id else []
    return render(request, "opportunities/form.html#contact_options", {"options": options})


# One opportunity -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StageStep:
    """One stage of the status bar and what a click on it does."""

    stage: OpportunityStage
    current: bool
    # "move" (a POST to the stage URL), "win" or "lose" (their dialog), "" (not clickable).
    action: str
    # Why the stage cannot be chosen (its tooltip), "" when it can.
    hint: str


def _steps(
    opportunity: Opportunity, stages: list[OpportunityStage], can_change: bool
) -> list[StageStep]:
    steps = []
    for stage in stages:
        current = stage.pk == opportunity.stage_id
        action, hint = "", ""
        if current or not can_change:
            pass
        elif stage.role == Role.WON:
            if opportunity.is_won or opportunity.is_lost:
                hint = _("Reopen the opportunity first.")
            else:
                action = "win"
        elif stage.role == Role.LOST:
            if opportunity.is_won or opportunity.is_lost:
                hint = _("Reopen the opportunity first.")
            else:
                action = "lose"
        else:
            action = "move"
        steps.append(StageStep(stage=stage, current=current, action=action, hint=hint))
    return steps


def _detail_context(
    request: AuthedHttpRequest,
    actor: Actor,
    opportunity: Opportunity,
    form: OpportunityForm | None = None,
) -> dict[str, Any]:
    """What the opportunity page shows. Queries: the stages, the form's choices (contacts,
    partners, owners, teams and sources), one page of timeline."""
    can_change = actor.has(Right.CHANGE_RECORDS)
    closed_for_good = opportunity.is_won or opportunity.is_lost
    if form is None:
        form = OpportunityForm(instance=opportunity, actor=actor)
    return {
        "opportunity": opportunity,
        "form": form,
        "partner": opportunity.partner,
        "steps": _steps(opportunity, selectors.opportunity_stages(actor.company), can_change),
        "can_change": can_change,
        "editable": can_change and not closed_for_good,
        "read_only": not can_change or closed_for_good,
        "can_delete": actor.has(Right.DELETE_RECORDS),
        "can_win": can_change and not closed_for_good,
        "can_lose": can_change and not closed_for_good,
        "can_reopen": can_change and opportunity.is_closed,
        "amount_display": money(opportunity.amount, opportunity.currency),
        "weighted_display": money(opportunity.weighted_amount, opportunity.currency),
        **timeline_context(request, opportunity),
    }


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def opportunity_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The opportunity page; its form saves the opportunity (POST)."""
    actor = require_actor(request.user)
    opportunity = selectors.opportunity_get_for_user(request.user, pk)
    if (older := older_page(request, opportunity)) is not None:
        return older
    form = None
    if request.method == "POST":
        if not actor.has(Right.CHANGE_RECORDS):
            raise PermissionDenied(Right.CHANGE_RECORDS.label)
        form = OpportunityForm(request.POST, instance=opportunity, actor=actor)
        if form.is_valid():
            try:
                services.opportunity_update(
                    actor=actor,
                    opportunity=opportunity,
                    data=form.opportunity_data(),
                    version=form.cleaned_data["version"],
                    contacts=form.cleaned_data.get("contacts") or [],
                )
            except services.ConflictError as exc:
                # Nothing was written. The page keeps what the user typed and now carries the
                # saved version: saving again knowingly replaces the other user's values.
                form.add_error(None, exc)
                form.set_version(selectors.opportunity_version(opportunity))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The opportunity “%(name)s” was saved.") % {"name": opportunity}
                )
                return redirect("opportunities:detail", opportunity.pk)
        # A refused save leaves the saved opportunity as it was: the page shows it so.
        opportunity = selectors.opportunity_get_for_user(request.user, pk)
    return render(request, DETAIL, _detail_context(request, actor, opportunity, form))


def _prefill(request: AuthedHttpRequest) -> tuple[dict[str, Any], Any]:
    """The new opportunity's initial values from ``?partner=`` or ``?lead=`` (a lead converted
    into a partner), and that lead. A lead or partner the user does not see is a 404."""
    initial: dict[str, Any] = {}
    lead = None
    raw_lead = request.GET.get("lead")
    if raw_lead:
        lead = lead_get_for_user(request.user, raw_lead)
        initial.update(
            name=(lead.enterprise_name or lead.simple_full_name)[:200],
            source=lead.source_id,
            assigned_to=lead.assigned_to_id or request.user.pk,
            team=lead.team_id,
            description=html_to_plain(lead.description),
        )
        if lead.partner_id:
            initial["partner"] = lead.partner_id
            if lead.contact_id:
                initial["contacts"] = [lead.contact_id]
    raw_partner = request.GET.get("partner")
    if raw_partner:
        initial["partner"] = partner_get_for_user(request.user, raw_partner).pk
    return initial, lead


@login_required
@right_required(Right.CREATE_RECORDS)
@require_http_methods(["GET", "POST"])
def opportunity_create(request: AuthedHttpRequest) -> HttpResponse:
    """« Nouvelle opportunité », prefilled from ``?partner=`` or ``?lead=``."""
    actor = require_actor(request.user)
    initial, lead = _prefill(request)
    form = OpportunityForm(posted(request), initial=initial, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.opportunity_data()
        if lead is not None:
            data["lead"] = lead
        try:
            opportunity = services.opportunity_create(
                actor=actor, data=data, contacts=form.cleaned_data.get("contacts") or []
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The opportunity %(reference)s “%(name)s” was created.")
                % {"reference": opportunity.reference, "name": opportunity},
            )
            url = reverse("opportunities:detail", args=[opportunity.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return render(request, "opportunities/form.html", {"form": form, "lead": lead})


# Actions -------------------------------------------------------------------------------------


def _for_change(request: AuthedHttpRequest, pk: int) -> tuple[Actor, Opportunity]:
    """The opportunity (404 when not visible) and the actor, who must have the right to change
    it (403)."""
    actor = require_actor(request.user)
    opportunity = selectors.opportunity_get_for_user(request.user, pk)
    if not actor.has(Right.CHANGE_RECORDS):
        raise PermissionDenied(Right.CHANGE_RECORDS.label)
    return actor, opportunity


def _messages_from(request: AuthedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _next_url(request: AuthedHttpRequest, fallback: str) -> str:
    """The page the dialog was opened from (a local /opportunities/ URL: the kanban, the
    calendar), else ``fallback``."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if (
        url.startswith("/opportunities/")
        and "\n" not in url
        and "\r" not in url
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return fallback


def _done(request: AuthedHttpRequest, opportunity: Opportunity) -> HttpResponse:
    """After win, lose, reopen: back where the user came from (the opportunity page by
    default)."""
    url = _next_url(request, reverse("opportunities:detail", args=[opportunity.pk]))
    if request.htmx:
        if url == request.htmx.current_url_abs_path:
            return HttpResponseClientRefresh()
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
@company_required
@require_POST
def opportunity_stage(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """A click on the status bar: move the opportunity to the posted ``stage``. HTMX gets the bar
    back (with the refusal in it, if any), the header's badge, the form's version and the
    timeline out of band; a move that closes or reopens the opportunity reloads the page."""
    actor, opportunity = _for_change(request, pk)
    raw = request.POST.get("stage", "")
    stage = (
        OpportunityStage.objects.filter(company_id=actor.company.pk, pk=int(raw)).first()
        if is_id(raw)
        else None
    )
    was_closed = opportunity.is_closed
    moved = False
    if stage is None:
        messages.error(request, _("Choose one of the sales stages."))
    else:
        try:
            services.opportunity_move(actor=actor, opportunity=opportunity, stage=stage)
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            moved = True
            messages.success(
                request,
                _("“%(name)s” moved to “%(stage)s”.") % {"name": opportunity, "stage": stage.name},
            )
    if not request.htmx:
        return redirect("opportunities:detail", pk=opportunity.pk)
    if moved and was_closed != opportunity.is_closed:
        # The form opens (or closes), Reopen comes or goes: the whole page changes.
        return HttpResponseClientRefresh()
    context = _detail_context(request, actor, opportunity)
    return render(request, f"{DETAIL}#status_swap", {**context, "bar_messages": True})


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def opportunity_win(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The Win dialog: the partner's types once won (a page, or the ``#opportunity-dialog``
    region of the opportunity page with HTMX)."""
    actor, opportunity = _for_change(request, pk)
    partner = opportunity.partner
    form = WinForm(posted(request), actor=actor, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_win(
                actor=actor, opportunity=opportunity, partner_types=form.partner_types()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The opportunity “%(name)s” is won.") % {"name": opportunity}
            )
            return _done(request, opportunity)
    refusal = ""
    if opportunity.is_won:
        refusal = _("This opportunity is already won.")
    elif opportunity.is_lost:
        refusal = _("This opportunity is lost: reopen it first.")
    current = [str(label) for name, label in WIN_TYPES if getattr(partner, name)]
    context = {
        "opportunity": opportunity,
        "partner": partner,
        "form": form,
        "refusal": refusal,
        "current_types": current,
        "next": _next_url(request, ""),
    }
    template = "opportunities/win.html"
    if request.htmx and request.htmx.target == "opportunity-dialog":
        template += "#form"
    return render(request, template, context)


@login_required
@company_required
@require_http_methods(["GET", "POST"])
def opportunity_lose(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """The Lose dialog: the lost reason and a comment (a page, or the ``#opportunity-dialog``
    region of the opportunity page with HTMX)."""
    actor, opportunity = _for_change(request, pk)
    form = LoseForm(posted(request), company_id=actor.company.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_lose(
                actor=actor,
                opportunity=opportunity,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The opportunity “%(name)s” is lost.") % {"name": opportunity}
            )
            return _done(request, opportunity)
    refusal = ""
    if opportunity.is_lost:
        refusal = _("This opportunity is already lost.")
    elif opportunity.is_won:
        refusal = _("This opportunity is won: reopen it first.")
    context = {
        "opportunity": opportunity,
        "form": form,
        "refusal": refusal,
        "next": _next_url(request, ""),
    }
    template = "opportunities/lose.html"
    if request.htmx and request.htmx.target == "opportunity-dialog":
        template += "#form"
    return render(request, template, context)


@login_required
@company_required
@require_POST
def opportunity_reopen(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor, opportunity = _for_change(request, pk)
    try:
        services.opportunity_reopen(actor=actor, opportunity=opportunity)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(
            request, _("The opportunity “%(name)s” was reopened.") % {"name": opportunity}
        )
    return _done(request, opportunity)


@login_required
@company_required
@require_POST
def opportunity_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    actor = require_actor(request.user)
    opportunity = selectors.opportunity_get_for_user(request.user, pk)
    if not actor.has(Right.DELETE_RECORDS):
        raise PermissionDenied(Right.DELETE_RECORDS.label)
    name = str(opportunity)
    services.opportunity_delete(actor=actor, opportunity=opportunity)
    messages.success(request, _("The opportunity “%(name)s” was deleted.") % {"name": name})
    url = reverse("opportunities:list")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
