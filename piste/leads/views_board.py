"""The lead kanban (My leads and Open leads as boards): the page, a column's next cards, and the
moves made by drag and drop (static/piste/kanban.js) or by the cards' keyboard forms.

A move answers JSON to kanban.js (``Accept: application/json``): ``{"ok": true, "card": html,
"figures": {status: html}}``, ``{"ok": false, "error": text}`` with a 4xx status when refused,
or ``{"ok": false, "redirect": url}`` when the move needs a dialog (Convert, Lose). A plain form
post (no JavaScript) gets a redirect back to the board with a message.
"""

from __future__ import annotations

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
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from piste.core.access import Actor, company_required, get_or_404, require_actor
from piste.core.boards import move_refused, wants_json
from piste.core.http import AuthedHttpRequest
from piste.core.rights import Right
from piste.core.text import is_id
from piste.leads import selectors, services
from piste.leads import selectors_board as board
from piste.leads.forms_lists import LeadFilterForm
from piste.leads.models import Lead, LeadStatus
from piste.leads.selectors import ListKind
from piste.leads.views_lists import back_url, filter_choices, stars
from piste.partners.views_prospects import count_display

TEMPLATE = "leads/kanban.html"
TITLES = {
    ListKind.MINE: gettext_lazy("My leads"),
    ListKind.OPEN: gettext_lazy("Open leads"),
}
Role = LeadStatus.Role


def _kind(kind: str) -> str:
    if kind not in board.KINDS:
        raise Http404
    return kind


def _query(params: QueryDict) -> str:
    """The board's filters as a query string (the lists' parameters; paging and empty ones, which
    the filter bar sends for every field left blank, left out)."""
    query = QueryDict(mutable=True)
    for name, values in params.lists():
        if name not in ("after", "cursor"):
            query.setlist(name, [value for value in values if value])
    return query.urlencode()


def _more_url(kind: str, status: LeadStatus, query: str, after: int | None) -> str:
    """Where a column's next cards come from (its first ones when ``after`` is None)."""
    url = reverse("lead_board:column", kwargs={"kind": kind, "status_id": status.pk})
    extra = f"after={after}" if after is not None else ""
    return f"{url}?{'&'.join(p for p in (query, extra) if p)}"


def _prefix(name: str, kind: str | None = None) -> str:
    """The URL of ``name`` for the id 0, up to the id: a board builds each card's URLs as
    ``prefix + id + "/"`` instead of reversing two URLs per card (up to 120 cards a page)."""
    kwargs: dict[str, Any] = {"pk": 0} if kind is None else {"kind": kind, "pk": 0}
    url = reverse(name, kwargs=kwargs)
    assert url.endswith("/0/"), url
    return url[:-2]


def _card_context(
    request: AuthedHttpRequest, actor: Actor, kind: str, statuses: list[LeadStatus]
) -> dict[str, Any]:
    """What the cards need besides themselves, computed once per page: each score's stars, the
    labels, the token and each status's "Move to…" options (every other status)."""
    return {
        "kind": kind,
        "can_change": actor.has(Right.CHANGE_RECORDS),
        "scores": {score: stars(score) for score in range(6)},
        "labels": {
            "owner": _("Assigned to"),
            "move_to": _("Move to…"),
            "move": _("Move"),
            "status_of": _("New status of"),
        },
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        "move_options": {
            status.pk: format_html(
                '<option value="" selected disabled>{}</option>{}',
                _("Move to…"),
                format_html_join(
                    "",
                    '<option value="{}">{}</option>',
                    ((s.pk, s.name) for s in statuses if s.pk != status.pk),
                ),
            )
            for status in statuses
        },
    }


def _decorate(cards: list[Lead], context: dict[str, Any]) -> list[Lead]:
    """What the card template shows, as text computed once per card: the template engine
    reversing URLs and formatting each value was most of a board's time."""
    detail = _prefix("leads:detail")
    move = _prefix("lead_board:move", context["kind"])
    for card in cards:
        key = str(card.pk)
        owner = card.assigned_to if card.assigned_to_id else None
        card.board = {  # type: ignore[attr-defined]
            "key": key,
            "name": card.simple_full_name or str(card),
            "detail_url": f"{detail}{key}/",
            "move_url": f"{move}{key}/",
            "status_key": str(card.status_id),
            "stars": context["scores"].get(card.scoring, ""),
            "owner_initials": owner.initials if owner else "",
            "owner_name": str(owner) if owner else "",
            "options": context["move_options"].get(card.status_id, ""),
        }
    return cards


# The board -----------------------------------------------------------------------------------


def _board_context(
    request: AuthedHttpRequest, actor: Actor, kind: str, form: LeadFilterForm
) -> dict[str, Any]:
    """What the board shows. Queries: the statuses, then ``board.board_columns``'s."""
    filters = form.filters()
    statuses = selectors.lead_statuses(actor.company)
    columns = board.board_columns(user=request.user, kind=kind, filters=filters, statuses=statuses)
    context = _card_context(request, actor, kind, statuses)
    query = _query(request.GET)
    for column in columns:
        _decorate(column.cards, context)
        column.count_display = (  # type: ignore[attr-defined]
            count_display(column.count) if column.count is not None else ""
        )
        column.more_url = (  # type: ignore[attr-defined]
            _more_url(kind, column.status, query, column.after)
            if column.after is not None or (column.folded and column.count)
            else ""
        )
    return {
        **context,
        "title": TITLES[kind],
        "view": "kanban",
        "form": form,
        "filters": filters,
        "statuses": statuses,
        "columns": columns,
        "filter_query": query,
        "board_url": request.get_full_path(),
        "closed_url": reverse("leads:closed"),
    }


@login_required
@company_required
@require_GET
def kanban(request: AuthedHttpRequest, kind: str) -> HttpResponse:
    """My leads or Open leads as a board; an HTMX request aimed at ``#board`` (the filters and
    the search) gets the board only."""
    kind = _kind(kind)
    actor = require_actor(request.user)
    form = LeadFilterForm(request.GET)
    context = _board_context(request, actor, kind, form)
    if request.htmx and request.htmx.target == "board":
        return render(request, f"{TEMPLATE}#board", context)
    # The filter panel's choices; the tags of the cards are not links here (a card is dragged).
    context.update(filter_choices(actor, context["filters"], []))
    return render(request, TEMPLATE, context)


@login_required
@company_required
@require_GET
def kanban_column(request: AuthedHttpRequest, kind: str, status_id: str) -> HttpResponse:
    """The next cards of a column (``?after=<id>``, with the board's filters; its first ones
    without ``after``, as a folded column asks when unfolded): the cards and the next "more"
    for HTMX, a page of its own otherwise."""
    kind = _kind(kind)
    actor = require_actor(request.user)
    statuses = selectors.lead_statuses(actor.company)
    status = next((s for s in statuses if s.pk == int(status_id)), None)
    if status is None:
        raise Http404
    filters = LeadFilterForm(request.GET).filters()
    cards, after = board.column_cards(
        user=request.user,
        kind=kind,
        filters=filters,
        statuses=statuses,
        status=status,
        after=board.parse_after(request.GET.get("after")),
    )
    selectors.attach_tags(cards)
    context = _card_context(request, actor, kind, statuses)
    query = _query(request.GET)
    board_url = reverse(f"lead_board:{kind}")
    context.update(
        single=True,
        title=TITLES[kind],
        status=status,
        cards=_decorate(cards, context),
        more_url=_more_url(kind, status, query, after) if after is not None else "",
        board_url=f"{board_url}?{query}" if query else board_url,
    )
    if request.htmx:
        return render(request, f"{TEMPLATE}#cards", context)
    return render(request, TEMPLATE, context)


# Moves ---------------------------------------------------------------------------------------


def _lead_or_refusal(
    request: AuthedHttpRequest, actor: Actor, pk: str, back: str
) -> tuple[Lead | None, HttpResponse | None]:
    """The lead to move, if the user may move it; else the refusal to send (a plain form gets
    the 403 or 404 page, as the lead's own pages would answer)."""
    if not actor.has(Right.CHANGE_RECORDS):
        if not wants_json(request):
            raise PermissionDenied(Right.CHANGE_RECORDS.label)
        return None, move_refused(request, str(Right.CHANGE_RECORDS.label), 403, back)
    try:
        if not is_id(pk):
            raise Http404
        lead = get_or_404(selectors.leads_for_user(request.user).select_related("status"), pk)
    except Http404:
        if not wants_json(request):
            raise
        message = _("This lead does not exist or is out of your reach.")
        return None, move_refused(request, message, 404, back)
    return lead, None


def _figures(
    request: AuthedHttpRequest,
    actor: Actor,
    kind: str,
    statuses: list[LeadStatus],
    changed: set[int],
) -> dict[str, str]:
    """The counts of the columns a move changed, with the page's filters (its posted
    ``query``), as HTML keyed as the board's [data-kanban-figures]. Queries: 1 per column."""
    filters = LeadFilterForm(QueryDict(request.POST.get("query", ""))).filters()
    figures: dict[str, str] = {}
    for status in statuses:
        if status.pk not in changed:
            continue
        count = board.column_count(
            user=request.user, kind=kind, filters=filters, statuses=statuses, status=status
        )
        if count is not None:
            figures[str(status.pk)] = render_to_string(
                f"{TEMPLATE}#figures", {"count_display": count_display(count)}, request=request
            )
    return figures


@login_required
@company_required
@require_POST
def kanban_move(request: AuthedHttpRequest, kind: str, pk: str) -> HttpResponse:
    """Move a lead to the posted ``status`` (from the column ``from``, when given: a card moved
    meanwhile by someone else is refused), as ``services.lead_change_status`` allows. The
    converted and lost statuses need their dialogs: the answer sends there."""
    kind = _kind(kind)
    back = back_url(request, reverse(f"lead_board:{kind}"))
    actor = require_actor(request.user)
    lead, refusal = _lead_or_refusal(request, actor, pk, back)
    if refusal is not None or lead is None:
        return refusal or move_refused(request, "", 404, back)
    statuses = selectors.lead_statuses(actor.company)
    target = request.POST.get("status", "")
    status = next((s for s in statuses if is_id(target) and s.pk == int(target)), None)
    if status is None:
        return move_refused(request, _("Choose one of the lead statuses."), 400, back)
    origin = request.POST.get("from", "")
    if origin and origin != str(lead.status_id):
        message = _(
            "“%(name)s” was moved to “%(status)s” meanwhile: reload the page to see it where it "
            "is now."
        ) % {"name": lead, "status": lead.status.name}
        return move_refused(request, message, 409, back)
    if status.role in (Role.CONVERTED, Role.LOST) and status.pk != lead.status_id:
        if status.role == Role.CONVERTED and not actor.has(Right.CREATE_RECORDS):
            return move_refused(request, str(Right.CREATE_RECORDS.label), 403, back)
        # Converting asks where the lead goes, losing asks why: their dialogs.
        name = "leads:convert" if status.role == Role.CONVERTED else "leads:lose"
        url = reverse(name, args=[lead.pk])
        if status.role == Role.LOST:
            # Lost, the lead goes back to the board it came from.
            url += "?" + urlencode({"next": back})
        if wants_json(request):
            return JsonResponse({"ok": False, "redirect": url})
        return redirect(url)
    before = lead.status_id
    if status.pk != before:
        try:
            services.lead_change_status(actor=actor, lead=lead, status=status)
        except ValidationError as exc:
            return move_refused(request, " ".join(exc.messages), 409, back)
    done = _("“%(name)s” moved to “%(status)s”.") % {"name": lead, "status": status.name}
    if not wants_json(request):
        messages.success(request, done)
        return redirect(back)
    card = board.board_card(request.user, lead.pk)
    html = ""
    if card is not None:
        context = _card_context(request, actor, kind, statuses)
        context.update(card=_decorate([card], context)[0], board_url=back)
        html = render_to_string(f"{TEMPLATE}#card", context, request=request)
    return JsonResponse(
        {
            "ok": True,
            "message": done,
            "card": html,
            "figures": _figures(request, actor, kind, statuses, {before, status.pk}),
        }
    )
