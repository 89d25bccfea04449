"""Reads on opportunities: the one access-filtered queryset, the one checked getter, the lists
(portfolio, mine, open, closed) and a partner's opportunities.

The lists page by keyset over an index (``piste.core.pagination``): name (company, name_key, id),
expected signing date (company, expected_close_date, id; the undated ones after the dated ones),
created (the id, in creation order). None counts the whole list: the figures above a list come
from the running totals, or are counted over at most LIVE_CAP rows (``piste.opportunities.views``).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from piste.core.access import get_or_404, records_for_user
from piste.core.pagination import Page, keyset_page
from piste.core.text import fold, search_text
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.partners.models import Partner
from piste.users.models import Company, User

PAGE_SIZE = 25
PARTNER_OPPORTUNITIES = 20


class ListKind:
    ALL = "all"
    MINE = "mine"
    OPEN = "open"
    CLOSED = "closed"
    KINDS = (ALL, MINE, OPEN, CLOSED)


# URL sort name -> column. "expected" is nullable: walked dated rows first (_dated_page).
SORTS = {
    "name": "name_key",
    "amount": "amount",
    "expected": "expected_close_date",
    "created": "id",
}
DEFAULT_SORT = "-created"
# What a list row shows (an opportunity holds descriptions of any length).
LIST_COLUMNS = (
    "id",
    "company_id",
    "number",
    "name",
    "name_key",
    "amount",
    "currency",
    "probability",
    "weighted_amount",
    "expected_close_date",
    "created_at",
    "version",
    "partner__id",
    "partner__name",
    "partner__full_name",
    "stage__id",
    "stage__name",
    "stage__is_open",
    "stage__role",
    "assigned_to__id",
    "assigned_to__username",
    "assigned_to__first_name",
    "assigned_to__last_name",
)


def opportunities_for_user(user: Any) -> QuerySet[Opportunity]:
    """Every opportunity the user may see: their company, narrowed by their role's record scope
    (owner ``assigned_to``, team ``team``, creator ``created_by``)."""
    return records_for_user(
        user,
        Opportunity.objects.all(),
        owner_field="assigned_to",
        team_field="team",
        creator_field="created_by",
    )


def opportunity_get_for_user(user: Any, pk: Any) -> Opportunity:
    """One opportunity the user may see, with what its page shows; 404 otherwise (another
    company's too)."""
    return get_or_404(
        opportunities_for_user(user).select_related(
            "stage",
            "partner",
            "assigned_to",
            "team",
            "source",
            "lost_reason",
            "created_by",
            "lead",
        ),
        pk,
    )


def opportunity_version(opportunity: Opportunity) -> int:
    """The saved version of an opportunity the user already reached (after a conflict)."""
    current = Opportunity.objects.filter(pk=opportunity.pk).values_list("version", flat=True)
    found = current.first()
    return found if found is not None else opportunity.version


def opportunity_stages(company: Company | int) -> list[OpportunityStage]:
    """The company's sales stages in status-bar order."""
    company_id = company if isinstance(company, int) else company.pk
    return list(OpportunityStage.objects.filter(company_id=company_id).order_by("sequence", "id"))


def partner_opportunities(
    partner: Partner, limit: int = PARTNER_OPPORTUNITIES, *, user: Any = None
) -> list[Opportunity]:
    """The newest opportunities of a partner the caller already read through the access layer
    (the partner page's Opportunities tab), over the (partner, -id) index; with ``user``, only
    those the user may see (a partner is seen by more people than each of its opportunities).
    Queries: 1."""
    qs = Opportunity.objects.all() if user is None else opportunities_for_user(user)
    return list(
        qs.filter(partner=partner)
        .select_related("stage", "assigned_to")
        .only(*(c for c in LIST_COLUMNS if not c.startswith("partner__")), "partner_id")
        .order_by("-id")[:limit]
    )


# Lists ---------------------------------------------------------------------------------------


@dataclass
class OpportunityFilters:
    """What a list is narrowed to (all optional), as parsed from the URL."""

    q: str = ""
    stages: list[int] = field(default_factory=list)
    owner: int | None = None
    team: int | None = None
    expected_from: date | None = None
    expected_to: date | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.stages,
                self.owner,
                self.team,
                self.expected_from,
                self.expected_to,
            )
        )


_REFERENCE = re.compile(r"^(?:opp)?[\s-]*0*(\d{1,9})$")


def _search(qs: QuerySet[Opportunity], text: str) -> QuerySet[Opportunity]:
    """Name or partner name containing what was typed (accents and case ignored), or the
    reference ("OPP-00042", "42")."""
    key = fold(search_text(text))
    if not key:
        return qs
    found = Q(name_key__contains=key) | Q(partner__name_key__contains=key)
    reference = _REFERENCE.match(key)
    if reference:
        found |= Q(number=int(reference.group(1)))
    return qs.filter(found)


def kind_stage_ids(kind: str, stages: list[OpportunityStage]) -> list[int] | None:
    """The stages a list holds (None: any)."""
    if kind == ListKind.OPEN:
        return [s.pk for s in stages if s.is_open]
    if kind == ListKind.CLOSED:
        return [s.pk for s in stages if not s.is_open]
    return None


def filtered_opportunities(
    *, user: User, kind: str, filters: OpportunityFilters, stages: list[OpportunityStage]
) -> QuerySet[Opportunity]:
    """The opportunities of one list narrowed by ``filters``, access-checked."""
    qs = opportunities_for_user(user)
    if kind == ListKind.MINE:
        qs = qs.filter(assigned_to_id=user.pk)
    wanted = kind_stage_ids(kind, stages)
    if wanted is not None:
        qs = qs.filter(stage_id__in=wanted)
    if filters.stages:
        qs = qs.filter(stage_id__in=filters.stages)
    if filters.owner:
        qs = qs.filter(assigned_to_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.expected_from:
        qs = qs.filter(expected_close_date__gte=filters.expected_from)
    if filters.expected_to:
        qs = qs.filter(expected_close_date__lte=filters.expected_to)
    return _search(qs, filters.q)


def sort_of(sort: str | None) -> str:
    """The sort asked in the URL if the lists offer it, else newest first."""
    if sort and sort.lstrip("-") in SORTS:
        return sort
    return DEFAULT_SORT


def opportunities_page(
    *,
    user: User,
    kind: str,
    filters: OpportunityFilters,
    sort: str | None,
    cursor: str | None,
    stages: list[OpportunityStage],
    per_page: int = PAGE_SIZE,
) -> Page[Opportunity]:
    """One page of a list with what its rows show (partner, stage, owner joined).

    Queries: 1; sorted by expected signing date, 2 on the page where the dated rows end.
    """
    sort = sort_of(sort)
    column = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    qs = (
        filtered_opportunities(user=user, kind=kind, filters=filters, stages=stages)
        .select_related("partner", "stage", "assigned_to")
        .only(*LIST_COLUMNS)
    )
    if column == "expected_close_date":
        return dated_page(qs, descending=descending, cursor=cursor, per_page=per_page)
    return keyset_page(
        qs, sort=f"-{column}" if descending else column, cursor=cursor, per_page=per_page
    )


def bounded_count(qs: QuerySet[Opportunity], limit: int) -> int:
    """How many opportunities match, counted up to ``limit`` + 1 at most (never a full
    COUNT(*))."""
    return qs.order_by().values("id")[: limit + 1].count()


# Keyset pages over the nullable expected signing date ----------------------------------------


def _encode(value: date | None, pk: int, direction: str) -> str:
    raw = json.dumps([value.isoformat() if value else None, pk, direction]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> tuple[date | None, int, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk, direction = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            return None
        if direction not in ("n", "p"):
            return None
        day = date.fromisoformat(value) if value is not None else None
        return day, pk, direction
    except (ValueError, TypeError, json.JSONDecodeError):
        return None  # a tampered or stale cursor shows the first page


def dated_page(
    qs: QuerySet[Opportunity], *, descending: bool, cursor: str | None, per_page: int
) -> Page[Opportunity]:
    """A keyset page in expected signing date order (then id), the opportunities without a
    date after all the dated ones, whichever the direction. Each part reads its index range;
    a page that spans both reads both (2 queries)."""
    decoded = _decode(cursor)
    backwards = decoded is not None and decoded[2] == "p"
    need = per_page + 1
    dated = qs.filter(expected_close_date__isnull=False)
    undated = qs.filter(expected_close_date__isnull=True)
    # The list's order: dated rows by (date, id) in the sort's direction, then undated by id.
    down = descending
    date_order = ["-expected_close_date", "-id"] if down else ["expected_close_date", "id"]
    id_order = ["-id"] if down else ["id"]
    rev_date_order = ["expected_close_date", "id"] if down else ["-expected_close_date", "-id"]
    rev_id_order = ["id"] if down else ["-id"]

    def after_date(day: date, pk: int, forward: bool) -> QuerySet[Opportunity]:
        later = forward != down  # moving towards larger values
        op = "gt" if later else "lt"
        return dated.filter(
            Q(**{f"expected_close_date__{op}e": day}),
            Q(**{f"expected_close_date__{op}": day})
            | Q(expected_close_date=day, **{f"id__{op}": pk}),
        )

    def after_id(pk: int, forward: bool) -> QuerySet[Opportunity]:
        later = forward != down
        return undated.filter(**{"id__gt" if later else "id__lt": pk})

    rows: list[Opportunity] = []
    if not backwards:
        if decoded is None:
            rows = list(dated.order_by(*date_order)[:need])
            if len(rows) < need:
                rows += list(undated.order_by(*id_order)[: need - len(rows)])
        elif decoded[0] is not None:
            rows = list(after_date(decoded[0], decoded[1], True).order_by(*date_order)[:need])
            if len(rows) < need:
                rows += list(undated.order_by(*id_order)[: need - len(rows)])
        else:
            rows = list(after_id(decoded[1], True).order_by(*id_order)[:need])
    else:
        assert decoded is not None
        if decoded[0] is None:
            rows = list(after_id(decoded[1], False).order_by(*rev_id_order)[:need])
            if len(rows) < need:
                rows += list(dated.order_by(*rev_date_order)[: need - len(rows)])
        else:
            rows = list(after_date(decoded[0], decoded[1], False).order_by(*rev_date_order)[:need])
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows=[], next_cursor=None, prev_cursor=None)
    first, last = rows[0], rows[-1]
    has_next = has_more if not backwards else True
    has_prev = decoded is not None and (has_more if backwards else True)
    return Page(
        rows=rows,
        next_cursor=_encode(last.expected_close_date, last.pk, "n") if has_next else None,
        prev_cursor=_encode(first.expected_close_date, first.pk, "p") if has_prev else None,
    )
