"""Reads on the prospect workflow (« Statuts de prospect »): whether a company manages it, the
lists Open prospects and Closed prospects, and the prospect kanban.

Every read starts from ``partners_for_user`` (the access layer). The lists and the kanban columns
walk the (company, status, name_key, id) index one status at a time, by name, so a deep page
costs what the first one costs at a million partners; no COUNT(*) over a whole status: counts are
capped (``capped_count``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from piste.core.access import require_actor
from piste.core.pagination import Page
from piste.core.search import byte_order, byte_prefix_q
from piste.core.statuses import statuses
from piste.partners.models import Partner, PartnerStatus
from piste.partners.selectors import _page, parse_after, partners_for_user, search_key
from piste.partners.statuses import PROSPECT_STATUSES
from piste.users.models import Company
from piste.users.selectors import crm_settings_of

PAGE_SIZE = 25
# Cards a kanban column shows at first, and each time its end scrolls into view.
CARDS = 20
# Counts stop here: beyond it a list or a column says "1,000+". An exact count reads every row
# of a status (a million partners may hold 300,000 in "To be processed": 60 ms on PostgreSQL
# for each column at each page view); a count capped at 1,001 rows reads at most that many
# index entries whatever the size of the table.
COUNT_CAP = 1000

Role = PartnerStatus.Role


class ListKind:
    OPEN = "open"
    CLOSED = "closed"
    ALL = (OPEN, CLOSED)


def prospect_statuses_enabled(company: Company) -> bool:
    """Whether the company manages statuses on prospects (its CRM settings come with the actor's
    membership: usually no query)."""
    return crm_settings_of(company).manage_prospect_statuses


def prospect_statuses(company: Company | int) -> list[PartnerStatus]:
    """The company's prospect statuses in status-bar order. Queries: 1."""
    return statuses(PROSPECT_STATUSES, company)


def in_workflow(partner: Partner) -> bool:
    """Whether the partner follows the prospect workflow: a prospect, or a partner that was one
    (won: now a customer) and keeps its status."""
    return partner.is_prospect or partner.status_id is not None


@dataclass
class ProspectFilters:
    """What a prospect list or the kanban is narrowed to, as parsed from the URL."""

    q: str = ""
    statuses: list[int] = field(default_factory=list)
    owner: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.statuses or self.owner)


def kind_statuses(kind: str, all_statuses: list[PartnerStatus]) -> list[PartnerStatus]:
    """The statuses a list holds, in order: the open ones, or the closed ones."""
    return [s for s in all_statuses if s.is_open == (kind == ListKind.OPEN)]


def _visible(user: Any, *, open_only: bool) -> QuerySet[Partner]:
    qs = partners_for_user(user)
    # A partner whose prospect flag was unticked keeps its open status but is no longer worked
    # as a prospect; won and lost ones stay listed under Closed, whatever their flags.
    return qs.filter(is_prospect=True) if open_only else qs


def _owned(qs: QuerySet[Partner], filters: ProspectFilters) -> QuerySet[Partner]:
    return qs.filter(assigned_to_id=filters.owner) if filters.owner else qs


# What a row or a card shows: a partner row holds sixty columns, a description among them.
ROW_COLUMNS = (
    *("id", "company_id", "name", "full_name", "name_key", "alt_key", "city_name"),
    *("is_prospect", "is_customer", "status_id", "lost_reason_id", "assigned_to_id"),
    *("assigned_to__username", "assigned_to__first_name", "assigned_to__last_name"),
    "lost_reason__name",
)


def _rows(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    return qs.select_related("assigned_to", "lost_reason").only(*ROW_COLUMNS)


# Cursors ---------------------------------------------------------------------------------------


def _encode(position: int, name: str, pk: int, direction: str) -> str:
    raw = json.dumps([position, name, pk, direction], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None, groups: int) -> tuple[int, str, int, str] | None:
    """A cursor of the status walk, or None (a tampered or stale one shows the first page)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position, name, pk, direction = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not (
        isinstance(position, int)
        and 0 <= position < groups
        and isinstance(name, str)
        and "\x00" not in name  # PostgreSQL refuses NUL in text
        and len(name) <= 320
        and isinstance(pk, int)
        and 0 < pk < 2**63
        and direction in ("n", "p")
    ):
        return None
    return position, name, pk, direction


def status_walk(
    qs: QuerySet[Partner], *, groups: list[int], cursor: str | None, per_page: int = PAGE_SIZE
) -> Page[Partner]:
    """Keyset pages in (status order, name, id) order: the rows of the first status by name,
    then those of the next one…

    Each status is read through the (company, status, name_key, id) index from the cursor on,
    only as far as the page needs. Queries: one per status read until the page is full.
    """
    positions = {pk: i for i, pk in enumerate(groups)}
    decoded = _decode(cursor, len(groups))
    backwards = decoded is not None and decoded[3] == "p"
    walk = list(range(len(groups)))
    if backwards:
        walk.reverse()
    start = walk.index(decoded[0]) if decoded is not None else 0
    need = per_page + 1
    rows: list[Partner] = []
    for step, position in enumerate(walk[start:]):
        group = qs.filter(status_id=groups[position])
        if decoded is not None and step == 0:
            name, pk = decoded[1], decoded[2]
            op = "lt" if backwards else "gt"
            # The first bound is redundant but lets the index scan start at the cursor.
            group = group.filter(
                Q(**{f"name_key__{op}e": name}),
                Q(**{f"name_key__{op}": name}) | Q(name_key=name, **{f"id__{op}": pk}),
            )
        order = ("-name_key", "-id") if backwards else ("name_key", "id")
        rows.extend(group.order_by(*order)[: need - len(rows)])
        if len(rows) >= need:
            break
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows:
        return Page(rows=[], next_cursor=None, prev_cursor=None)
    first, last = rows[0], rows[-1]
    has_next = has_more if not backwards else True
    has_prev = decoded is not None and (has_more if backwards else True)

    def cursor_of(row: Partner, direction: str) -> str:
        return _encode(positions[row.status_id], row.name_key, row.pk, direction)  # type: ignore[index]

    return Page(
        rows=rows,
        next_cursor=cursor_of(last, "n") if has_next else None,
        prev_cursor=cursor_of(first, "p") if has_prev else None,
    )


# Lists -----------------------------------------------------------------------------------------


def _list_queryset(
    user: Any, kind: str, filters: ProspectFilters, all_statuses: list[PartnerStatus]
) -> tuple[QuerySet[Partner], list[int]]:
    """The list's partners (without the status condition) and the statuses it walks."""
    groups = [s.pk for s in kind_statuses(kind, all_statuses)]
    if filters.statuses:
        groups = [pk for pk in groups if pk in filters.statuses]
    qs = _owned(_visible(user, open_only=kind == ListKind.OPEN), filters)
    return qs, groups


def _name_match(key: str) -> Q:
    """The name, or the name in its other order, starts with ``key`` (see accounts search)."""
    return byte_prefix_q("name_bytes", key) | byte_prefix_q("alt_bytes", key)


def _search_after(cursor: str | None) -> tuple[str, int] | None:
    """A search page's cursor (name, "|", id); a forged one shows the first page."""
    after = parse_after(cursor)
    if after is None or not 0 < after[1] < 2**63:
        return None  # SQLite cannot even compare an integer past 64 bits
    return after


def capped_count(qs: QuerySet[Any]) -> int:
    """How many rows match, counted up to ``COUNT_CAP`` + 1 at most (never a full COUNT(*))."""
    return qs.order_by()[: COUNT_CAP + 1].count()


@dataclass
class ListPage:
    rows: list[Partner]
    next_cursor: str | None
    prev_cursor: str | None
    # How many prospects the list holds, capped (COUNT_CAP + 1 means "more than COUNT_CAP").
    count: int
    # Whether the rows are ordered by name alone (a search) rather than by status then name.
    by_name: bool


def prospects_page(
    *,
    user: Any,
    kind: str,
    filters: ProspectFilters,
    cursor: str | None,
    all_statuses: list[PartnerStatus],
    per_page: int = PAGE_SIZE,
) -> ListPage:
    """One page of Open or Closed prospects.

    Without a search: by status (in the status bar's order), then by name. With one: the names
    starting with the typed letters (either name order, as in the accounts search), by name,
    forward pages only. Queries: 1 capped count, then 1 per status read until the page is full
    (2 for a search: one per name order).
    """
    qs, groups = _list_queryset(user, kind, filters, all_statuses)
    if not groups:
        return ListPage(rows=[], next_cursor=None, prev_cursor=None, count=0, by_name=False)
    qs = qs.filter(status_id__in=groups)
    key = search_key(filters.q)
    if key:
        count = capped_count(
            qs.alias(name_bytes=byte_order("name_key"), alt_bytes=byte_order("alt_key")).filter(
                _name_match(key)
            )
        )
        rows = _page(_rows(qs), key, per_page + 1, _search_after(cursor))
        more = rows[per_page - 1] if len(rows) > per_page else None
        return ListPage(
            rows=rows[:per_page],
            next_cursor=f"{more.match_key}|{more.pk}" if more is not None else None,
            prev_cursor=None,
            count=count,
            by_name=True,
        )
    count = capped_count(qs)
    page = status_walk(_rows(qs), groups=groups, cursor=cursor, per_page=per_page)
    return ListPage(
        rows=page.rows,
        next_cursor=page.next_cursor,
        prev_cursor=page.prev_cursor,
        count=count,
        by_name=False,
    )


# Kanban ----------------------------------------------------------------------------------------


@dataclass
class Column:
    status: PartnerStatus
    cards: list[Partner]
    next_cursor: str | None
    count: int  # capped: COUNT_CAP + 1 means "more than COUNT_CAP"


def _column_queryset(user: Any, status: PartnerStatus, filters: ProspectFilters) -> QuerySet[Any]:
    qs = _owned(_visible(user, open_only=status.is_open), filters)
    return qs.filter(status_id=status.pk)


def column_cards(
    *, user: Any, status: PartnerStatus, filters: ProspectFilters, cursor: str | None
) -> Page[Partner]:
    """The next cards of a column by name (the column's end scrolled into view). Queries: 1."""
    qs = _rows(_column_queryset(user, status, filters))
    return status_walk(qs, groups=[status.pk], cursor=cursor, per_page=CARDS)


def kanban_columns(
    *, user: Any, all_statuses: list[PartnerStatus], filters: ProspectFilters
) -> list[Column]:
    """Every status's first cards and capped count.

    Queries: 1 per column for its first cards, plus 1 capped count per column holding more
    than a page of cards (the cards count the others).
    """
    require_actor(user)
    columns = []
    for status in all_statuses:
        page = column_cards(user=user, status=status, filters=filters, cursor=None)
        count = len(page.rows)
        if page.next_cursor:
            count = capped_count(_column_queryset(user, status, filters))
        columns.append(
            Column(status=status, cards=page.rows, next_cursor=page.next_cursor, count=count)
        )
    return columns


def column_count(*, user: Any, status: PartnerStatus, filters: ProspectFilters) -> int:
    """One column's capped count (after a card moved). Queries: 1."""
    return capped_count(_column_queryset(user, status, filters))


def prospect_card(user: Any, pk: int) -> Partner:
    """One card again (after it moved), read through the access layer. Queries: 1."""
    return _rows(partners_for_user(user)).get(pk=pk)
