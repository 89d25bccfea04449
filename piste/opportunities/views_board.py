"""The portfolio kanban and the signature calendar: pages, a column's next cards, and the moves
made by drag and drop (static/piste/kanban.js) or by the cards' keyboard forms.

A move answers JSON to kanban.js (``Accept: application/json``): ``{"ok": true, "card": html,
"figures": {column: html}}``, ``{"ok": false, "error": text}`` with a 4xx status when refused,
or ``{"redirect": url}`` when the move needs a dialog (won, lost). A plain form post (no
JavaScript) gets a redirect back to the page with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piste.core.access import Actor, company_required, get_or_404, require_actor
from piste.core.boards import move_refused, wants_json
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.services import ConflictError
from piste.core.text import is_id
from piste.opportunities import selectors_board as board
from piste.opportunities import services
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.opportunities.selectors import opportunities_for_user

KANBAN = "opportunities/kanban.html"
CALENDAR = "opportunities/calendar.html"


# Display -------------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str) -> str:
    """« 12 500 € »: rounded to the unit, grouped as the active language groups digits."""
    rounded = Decimal(amount or 0).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    number = number_format(rounded, decimal_pos=0, force_grouping=True)
    return f"{number}\xa0{'€' if currency == 'EUR' else currency}"


@dataclass
class FiguresView:
    """A column's (a day's) figures as shown."""

    count: int
    count_display: str
    capped: bool
    # (amount, weighted amount) per currency, formatted.
    amounts: list[tuple[str, str]]

    @classmethod
    def of(cls, figures: board.Figures) -> FiguresView:
        return cls(
            count=figures.count,
            count_display=number_format(figures.count, force_grouping=True),
            capped=figures.capped,
            amounts=[
                (money(amount, currency), money(weighted, currency))
                for currency, (amount, weighted) in figures.amounts.items()
            ],
        )


def _initials(user: Any) -> str:
    if user is None:
        return ""
    letters = f"{(user.first_name or '')[:1]}{(user.last_name or '')[:1]}"
    return (letters or user.username[:2]).upper()


def _owner_name(user: Any) -> str:
    if user is None:
        return ""
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _prefix(name: str) -> str:
    """The URL of ``name`` for the id 0, up to the id: a page of cards builds each card's URLs
    as ``prefix + id + "/"`` instead of reversing three URLs per card."""
    url = reverse(name, args=[0])
    assert url.endswith("/0/"), url
    return url[:-2]


def _decorate(cards: list[Opportunity]) -> list[Opportunity]:
    """What the card templates show, as text computed once per card: a page renders up to 168
    cards, and the template engine formatting each id, number and date (and reversing each
    URL) was most of a kanban page's time."""
    detail = _prefix("opportunities:detail")
    move = _prefix("opportunity_board:move")
    reschedule = _prefix("opportunity_board:calendar_move")
    for card in cards:
        key = str(card.pk)
        day = card.expected_close_date
        extra = {
            "key": key,
            "detail_url": f"{detail}{key}/",
            "move_url": f"{move}{key}/",
            "reschedule_url": f"{reschedule}{key}/",
            "stage_key": str(card.stage_id),
            "amount_display": money(card.amount, card.currency),
            "probability_display": f"{card.probability}\xa0%",
            "owner_initials": _initials(card.assigned_to),
            "owner_name": _owner_name(card.assigned_to),
            "close_iso": day.isoformat() if day else "",
            "close_display": date_format(day, "SHORT_DATE_FORMAT") if day else "",
        }
        card.__dict__.update(extra)
    return cards


def _card_context(request: AuthedHttpRequest, stages: list[OpportunityStage]) -> dict[str, Any]:
    """What every card of a page shares: its labels (translated once), the CSRF field, the
    "Move to…" menu's options."""
    return {
        "labels": {
            "owner": _("Owner"),
            "probability": _("Probability"),
            "close": _("Expected signing date"),
            "move_to": _("Move to…"),
            "move": _("Move"),
            "stage_of": _("Sales stage of"),
            "reschedule": _("Change the expected signing date"),
            "reschedule_of": _("Change the expected signing date of"),
            "save": _("Save"),
        },
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        "stage_options": format_html(
            '<option value="" selected disabled>{}</option>{}',
            _("Choose a stage"),
            format_html_join(
                "", '<option value="{}">{}</option>', ((s.pk, s.name) for s in stages)
            ),
        ),
    }


# Answers to moves -----------------------------------------------------------------------------


def _back(request: AuthedHttpRequest, default: str) -> str:
    """The page the move came from (a local /opportunities/ URL only), else ``default``."""
    url = request.POST.get("next", "")
    if (
        url.startswith("/opportunities/")
        and "\n" not in url
        and "\r" not in url
        and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return url
    return default


def _opportunity_or_refusal(
    request: AuthedHttpRequest, pk: Any, back: str
) -> tuple[Actor, Opportunity | None, HttpResponse | None]:
    """The opportunity to move, if the user may move it; else the refusal to send."""
    actor = require_actor(request.user)
    if not actor.has(Right.CHANGE_RECORDS):
        if not wants_json(request):
            raise PermissionDenied(Right.CHANGE_RECORDS.label)
        return actor, None, move_refused(request, str(Right.CHANGE_RECORDS.label), 403, back)
    try:
        if not is_id(pk):
            raise Http404
        opportunity = get_or_404(opportunities_for_user(request.user).select_related("stage"), pk)
    except Http404:
        if not wants_json(request):
            raise
        message = _("This opportunity does not exist or is out of your reach.")
        return actor, None, move_refused(request, message, 404, back)
    return actor, opportunity, None


# The kanban ----------------------------------------------------------------------------------


@dataclass
class Column:
    stage: OpportunityStage
    figures: FiguresView
    cards: list[Opportunity]
    more_url: str | None


def _more_url(stage_id: int, filters: board.BoardFilters, after: int | None) -> str | None:
    if after is None:
        return None
    url = reverse("opportunity_board:column", args=[stage_id])
    return f"{url}?{filters.query(after=str(after))}"


def _board_context(request: AuthedHttpRequest, actor: Actor) -> dict[str, Any]:
    """What the board shows. Queries: 1 for the stages, 1 for the figures, 1 per column for its
    first cards; with a search, the figures' read gives the cards' ids when it read them all,
    and 1 query reads every column's first cards."""
    filters = board.parse_filters(request.GET)
    stages = board.stages(actor.company.pk)
    stage_ids = [s.pk for s in stages]
    found: dict[int, tuple[list[Opportunity], int | None]] = {}
    if filters.q:
        scan = board.search_scan(request.user, filters, stage_ids)
        figures = scan.figures
        if scan.ids is not None:
            first = {pk: ids[: board.COLUMN_PAGE] for pk, ids in scan.ids.items()}
            cards = board.cards_by_id(request.user, [pk for ids in first.values() for pk in ids])
            for stage_id, ids in first.items():
                more = len(scan.ids[stage_id]) > board.COLUMN_PAGE
                shown = [cards[pk] for pk in ids if pk in cards]
                found[stage_id] = (shown, ids[-1] if more else None)
    else:
        figures = board.column_figures(request.user, filters, stage_ids)
    columns = []
    for stage in stages:
        if stage.pk not in found:
            found[stage.pk] = board.column_cards(request.user, filters, stage.pk)
        cards_shown, after = found[stage.pk]
        columns.append(
            Column(
                stage=stage,
                figures=FiguresView.of(figures[stage.pk]),
                cards=_decorate(cards_shown),
                more_url=_more_url(stage.pk, filters, after),
            )
        )
    return {
        **_card_context(request, stages),
        "filters": filters,
        "stages": stages,
        "columns": columns,
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "board_url": request.get_full_path(),
        "live_cap": number_format(board.LIVE_CAP, force_grouping=True),
    }


@login_required
@company_required
@require_GET
def kanban(request: AuthedHttpRequest) -> HttpResponse:
    """The portfolio kanban; an HTMX request aimed at ``#board`` (the filter bar) gets the board
    only."""
    actor = require_actor(request.user)
    context = _board_context(request, actor)
    if request.htmx and request.htmx.target == "board":
        return render(request, f"{KANBAN}#board", context)
    owners, teams = board.board_filter_choices(request.user)
    context.update(owners=owners, teams=teams)
    return render(request, KANBAN, context)


@login_required
@company_required
@require_GET
def kanban_column(request: AuthedHttpRequest, stage_id: int) -> HttpResponse:
    """The next cards of a column (``?after=<id>``, with the board's filters): the cards and the
    next sentinel for HTMX, a page of its own otherwise."""
    actor = require_actor(request.user)
    stage = get_or_404(OpportunityStage.objects.filter(company_id=actor.company.pk), stage_id)
    filters = board.parse_filters(request.GET)
    cards, after = board.column_cards(
        request.user, filters, stage.pk, after=board.parse_after(request.GET.get("after"))
    )
    kanban_url = reverse("opportunity_board:kanban")
    stages = board.stages(actor.company.pk)
    context = {
        **_card_context(request, stages),
        "single": True,
        "stage": stage,
        "stages": stages,
        "cards": _decorate(cards),
        "more_url": _more_url(stage.pk, filters, after),
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "board_url": f"{kanban_url}?{filters.query()}" if filters.active else kanban_url,
        "filters": filters,
    }
    if request.htmx:
        return render(request, f"{KANBAN}#cards", context)
    return render(request, KANBAN, context)


def _figures_html(request: AuthedHttpRequest, query: str) -> dict[str, str]:
    """Every column's figures (as the board with these filters shows them), as HTML."""
    actor = require_actor(request.user)
    filters = board.parse_filters(QueryDict(query))
    stages = board.stages(actor.company.pk)
    figures = board.column_figures(request.user, filters, [s.pk for s in stages])
    return {
        str(stage.pk): render_to_string(
            f"{KANBAN}#figures",
            {"figures": FiguresView.of(figures[stage.pk])},
            request=request,
        )
        for stage in stages
    }


@login_required
@company_required
@require_POST
def kanban_move(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    """Move an opportunity to the posted ``stage`` (from the column ``from``, when given: a card
    moved meanwhile by someone else is refused). The won and lost stages need their dialogs:
    the answer sends there, with the way back."""
    back = _back(request, reverse("opportunity_board:kanban"))
    actor, opportunity, refusal = _opportunity_or_refusal(request, pk, back)
    if refusal is not None or opportunity is None:
        return refusal or move_refused(request, "", 404, back)
    target = request.POST.get("stage", "")
    stage = (
        OpportunityStage.objects.filter(company_id=actor.company.pk, pk=int(target)).first()
        if is_id(target)
        else None
    )
    if stage is None:
        return move_refused(request, _("Choose one of the sales stages."), 400, back)
    origin = request.POST.get("from", "")
    if origin and origin != str(opportunity.stage_id):
        message = _(
            "“%(name)s” was moved to “%(stage)s” meanwhile: reload the page to see it where it "
            "is now."
        ) % {"name": opportunity.name, "stage": opportunity.stage.name}
        return move_refused(request, message, 409, back)
    role = OpportunityStage.Role
    if stage.role in (role.WON, role.LOST) and stage.pk != opportunity.stage_id:
        # Winning asks the partner's new types, losing a lost reason: their dialogs.
        name = "opportunities:win" if stage.role == role.WON else "opportunities:lose"
        url = f"{reverse(name, args=[opportunity.pk])}?{urlencode({'next': back})}"
        if wants_json(request):
            return JsonResponse({"ok": False, "redirect": url})
        return redirect(url)
    if stage.pk != opportunity.stage_id:
        try:
            services.opportunity_move(actor=actor, opportunity=opportunity, stage=stage)
        except ConflictError as exc:
            return move_refused(request, " ".join(exc.messages), 409, back)
        except ValidationError as exc:
            return move_refused(request, " ".join(exc.messages), 400, back)
    done = _("“%(name)s” moved to “%(stage)s”.") % {"name": opportunity.name, "stage": stage.name}
    if not wants_json(request):
        messages.success(request, done)
        return redirect(back)
    card = board.board_card(request.user, opportunity.pk)
    stages = board.stages(actor.company.pk)
    context = {
        **_card_context(request, stages),
        "card": _decorate([card])[0] if card else None,
        "stages": stages,
        "can_change": True,
        "board_url": back,
    }
    return JsonResponse(
        {
            "ok": True,
            "message": done,
            "card": render_to_string(f"{KANBAN}#card", context, request=request) if card else "",
            "figures": _figures_html(request, request.POST.get("query", "")),
        }
    )


# The calendar --------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(value: str | None) -> date | None:
    """A day typed as YYYY-MM-DD, within the calendar's years; None otherwise."""
    if not value or not _ISO_DAY.match(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if board.FIRST_YEAR <= day.year <= board.LAST_YEAR else None


@dataclass
class Week:
    days: list[board.Day]
    figures: FiguresView
    param: str  # "2026-W48"
    number: int
    url: str


def _calendar_url(period: board.Period | None, filters: board.BoardFilters, closed: bool) -> str:
    if period is None:
        return ""
    key, value = period.param
    query = filters.query(**{key: value, "closed": "1" if closed else ""})
    return f"{reverse('opportunity_board:calendar')}?{query}"


@login_required
@company_required
@require_GET
def calendar(request: AuthedHttpRequest) -> HttpResponse:
    """The signature calendar: a month (``?month=2026-11``, the default) or an ISO week
    (``?week=2026-W48``) of expected signing dates, open opportunities unless ``closed=1``.

    Queries: the session and the actor (4), the day totals (1), the days' first cards (1), the
    filter bar's owners and teams (2).
    """
    actor = require_actor(request.user)
    today = timezone.localdate()
    period, problem = board.parse_period(request.GET, today)
    filters = board.parse_filters(request.GET)
    closed = request.GET.get("closed") == "1"
    days = board.calendar_days(request.user, filters, period, include_closed=closed)
    for day in days.values():
        _decorate(day.cards)
        day.view = FiguresView.of(day.figures)  # type: ignore[attr-defined]
        day.iso = day.day.isoformat()  # type: ignore[attr-defined]
        day.outside = not period.first <= day.day <= period.last  # type: ignore[attr-defined]
    weeks = []
    ordered = list(days.values())
    for start in range(0, len(ordered), 7):
        chunk = ordered[start : start + 7]
        week = board.week_of(chunk[0].day)
        weeks.append(
            Week(
                days=chunk,
                figures=FiguresView.of(board.sum_figures([d.figures for d in chunk])),
                param=week.param[1],
                number=chunk[0].day.isocalendar()[1],
                url=_calendar_url(week, filters, closed),
            )
        )
    inside = [d.figures for d in ordered if period.first <= d.day <= period.last]
    owners, teams = board.board_filter_choices(request.user)
    key, value = period.param
    context = {
        **_card_context(request, []),
        "period": period,
        "period_key": key,
        "period_value": value,
        "problem": problem,
        "weeks": weeks,
        "total": FiguresView.of(board.sum_figures(inside)),
        "today": today,
        "filters": filters,
        "closed": closed,
        "owners": owners,
        "teams": teams,
        "previous_url": _calendar_url(period.previous(), filters, closed),
        "next_url": _calendar_url(period.next(), filters, closed),
        "today_url": _calendar_url(
            board.month_of(today) if period.kind == "month" else board.week_of(today),
            filters,
            closed,
        ),
        "month_url": _calendar_url(board.month_of(period.first), filters, closed),
        "week_url": _calendar_url(
            board.week_of(today if period.first <= today <= period.last else period.first),
            filters,
            closed,
        ),
        "toggle_closed_url": _calendar_url(period, filters, not closed),
        "title": _period_title(period),
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "board_url": request.get_full_path(),
        "day_cards": period.day_cards,
        "weekdays": [date_format(date(2024, 1, 1) + timedelta(days=n), "l") for n in range(7)],
    }
    return render(request, CALENDAR, context)


def _period_title(period: board.Period) -> str:
    if period.kind == "month":
        return date_format(period.first, "F Y").capitalize()
    return _("Week %(number)s, %(first)s to %(last)s") % {
        "number": period.first.isocalendar()[1],
        "first": date_format(period.first, "j F"),
        "last": date_format(period.last, "j F Y"),
    }


def _day_figures_html(
    request: AuthedHttpRequest, query: str, changed: list[date]
) -> dict[str, str]:
    """The figures of the changed days and of their weeks (as the calendar with these filters
    shows them), as HTML keyed as the page's [data-kanban-figures]. Queries: 1."""
    params = QueryDict(query)
    filters = board.parse_filters(params)
    weeks = {board.week_of(day) for day in changed}
    wanted = sorted({w.first + timedelta(days=n) for w in weeks for n in range(7)})
    found = board.days_figures(
        request.user, filters, wanted, include_closed=params.get("closed") == "1"
    )
    html: dict[str, str] = {
        day.isoformat(): render_to_string(
            f"{CALENDAR}#day_figures", {"figures": FiguresView.of(found[day])}, request=request
        )
        for day in changed
    }
    for week in weeks:
        days = [found[week.first + timedelta(days=n)] for n in range(7)]
        html[f"week-{week.param[1]}"] = render_to_string(
            f"{CALENDAR}#week_figures",
            {"figures": FiguresView.of(board.sum_figures(days))},
            request=request,
        )
    return html


@login_required
@company_required
@require_POST
def calendar_move(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    """Change an opportunity's expected signing date to the posted ``expected_close_date`` (from
    the day ``from``, when given: a date changed meanwhile by someone else is refused)."""
    back = _back(request, reverse("opportunity_board:calendar"))
    actor, opportunity, refusal = _opportunity_or_refusal(request, pk, back)
    if refusal is not None or opportunity is None:
        return refusal or move_refused(request, "", 404, back)
    day = _day(request.POST.get("expected_close_date"))
    if day is None:
        return move_refused(request, _("Enter a date such as 2026-11-24."), 400, back)
    origin = request.POST.get("from", "")
    current = opportunity.expected_close_date
    if origin and origin != (current.isoformat() if current else ""):
        message = _(
            "The signing date of “%(name)s” was changed meanwhile: reload the page to see it."
        ) % {"name": opportunity.name}
        return move_refused(request, message, 409, back)
    if day != current:
        try:
            services.opportunity_reschedule(
                actor=actor, opportunity=opportunity, expected_close_date=day
            )
        except ConflictError as exc:
            return move_refused(request, " ".join(exc.messages), 409, back)
        except ValidationError as exc:
            return move_refused(request, " ".join(exc.messages), 400, back)
    done = _("The signing of “%(name)s” is now expected on %(day)s.") % {
        "name": opportunity.name,
        "day": date_format(day, "DATE_FORMAT"),
    }
    if not wants_json(request):
        messages.success(request, done)
        return redirect(back)
    card = board.board_card(request.user, opportunity.pk)
    context = {
        **_card_context(request, []),
        "card": _decorate([card])[0] if card else None,
        "can_change": True,
        "board_url": back,
    }
    changed = [d for d in (current, day) if d is not None]
    return JsonResponse(
        {
            "ok": True,
            "message": done,
            "card": render_to_string(f"{CALENDAR}#card", context, request=request) if card else "",
            "figures": _day_figures_html(request, request.POST.get("query", ""), changed),
        }
    )
