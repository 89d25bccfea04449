"""Reads of the lead kanban (My leads and Open leads as boards): one column per lead status.

A board holds the leads of its list (``selectors.filtered_leads``: the same filters and search),
one column per status in status-bar order. A column reads its cards newest first, COLUMN_PAGE + 1
at a time by keyset (id < after): on Open leads through the (company, status, id) index (or the
primary key backwards: the planner's choice for a busy status), on My leads through the
(assigned_to, status, id) index. Counts are capped as the prospect kanban's are: a column showing
all its cards counts them, any other reads at most COUNT_CAP + 1 rows.

Some columns read no cards at all: a folded status (its count only), and on Open leads the
closed statuses, which hold no open lead: they are there to drop a card on (Convert, Lose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from piste.core.text import is_id
from piste.leads.models import Lead, LeadStatus
from piste.leads.selectors import LeadFilters, ListKind, attach_tags, filtered_leads, leads_for_user
from piste.partners.selectors_prospects import capped_count

# The lists that are also boards (Closed leads is not: nothing moves from there).
KINDS = (ListKind.MINE, ListKind.OPEN)
# Cards a column shows at first, and per "more" page.
COLUMN_PAGE = 20
# What a card shows: the card query reads these columns only (a lead row holds forty, among
# them descriptions of up to 200 kB).
CARD_COLUMNS = (
    *("id", "company_id", "first_name", "last_name", "full_name", "enterprise_name"),
    *("scoring", "status_id", "assigned_to_id", "assigned_to__id", "assigned_to__username"),
    *("assigned_to__first_name", "assigned_to__last_name"),
)


def shows_cards(kind: str, status: LeadStatus) -> bool:
    """Whether this column of the board lists leads: on Open leads a closed status is only a
    place to drop a card (it opens Convert or Lose, or is refused)."""
    return kind == ListKind.MINE or status.is_open


@dataclass
class Column:
    status: LeadStatus
    # The first cards (none when folded or a drop target), newest first.
    cards: list[Lead]
    # The id the next page starts after; None on the last page.
    after: int | None
    # Capped (COUNT_CAP + 1 means "more than COUNT_CAP"); None when the column counts nothing.
    count: int | None

    @property
    def folded(self) -> bool:
        return self.status.folded


def _column(
    user: Any, kind: str, filters: LeadFilters, statuses: list[LeadStatus], status_id: int
) -> QuerySet[Lead]:
    qs = filtered_leads(user=user, kind=kind, filters=filters, statuses=statuses)
    return qs.filter(status_id=status_id)


def column_cards(
    *,
    user: Any,
    kind: str,
    filters: LeadFilters,
    statuses: list[LeadStatus],
    status: LeadStatus,
    after: int | None = None,
    per_page: int = COLUMN_PAGE,
) -> tuple[list[Lead], int | None]:
    """One page of a column, newest first: the cards (without their tags) and the id to ask
    the next page ``after`` (None on the last page). Queries: 1 (none for a drop target)."""
    if not shows_cards(kind, status):
        return [], None
    qs = _column(user, kind, filters, statuses, status.pk)
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(
        qs.select_related("assigned_to").only(*CARD_COLUMNS).order_by("-id")[: per_page + 1]
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].pk if more else None)


def column_count(
    *, user: Any, kind: str, filters: LeadFilters, statuses: list[LeadStatus], status: LeadStatus
) -> int | None:
    """A column's capped count (after a move), None for a drop target. Queries: 1."""
    if not shows_cards(kind, status):
        return None
    return capped_count(_column(user, kind, filters, statuses, status.pk))


def board_columns(
    *, user: Any, kind: str, filters: LeadFilters, statuses: list[LeadStatus]
) -> list[Column]:
    """Every status's column: its first cards with their tags, and its capped count.

    Queries: per column listing cards, 1 for its first cards plus 1 capped count when it holds
    more than a page (the cards count the others); per folded column, 1 capped count; 1 for
    every card's tags (none without cards). A drop target reads nothing.
    """
    columns = []
    for status in statuses:
        if not shows_cards(kind, status):
            columns.append(Column(status=status, cards=[], after=None, count=None))
            continue
        if status.folded:
            count = column_count(
                user=user, kind=kind, filters=filters, statuses=statuses, status=status
            )
            columns.append(Column(status=status, cards=[], after=None, count=count))
            continue
        cards, after = column_cards(
            user=user, kind=kind, filters=filters, statuses=statuses, status=status
        )
        count = len(cards)
        if after is not None:
            count = capped_count(_column(user, kind, filters, statuses, status.pk))
        columns.append(Column(status=status, cards=cards, after=after, count=count))
    attach_tags([card for column in columns for card in column.cards])
    return columns


def board_card(user: Any, pk: int) -> Lead | None:
    """One card again with its tags (after a move), if the user still sees the lead.
    Queries: 2."""
    card = (
        leads_for_user(user).select_related("assigned_to").only(*CARD_COLUMNS).filter(pk=pk).first()
    )
    if card is not None:
        attach_tags([card])
    return card


def parse_after(value: str | None) -> int | None:
    """The ``after`` id of a "more" request; None (the first page) when malformed."""
    return int(value) if value and is_id(value) and int(value) > 0 else None
