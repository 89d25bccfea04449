"""Benchmark scenarios of the lead kanban (My leads and Open leads as boards), as the bench user
sees them: ``SCENARIOS``, to append to ``bench.scenarios.SCENARIOS``.

The facts the URLs and expected texts need (the first open column, its cards) are read through
the kanban's own selectors, as the bench user, once per dataset. ``bench.scenarios`` appends
``SCENARIOS`` to its own (and this module imports from it).
"""

from __future__ import annotations

from functools import cache

from bench.scenarios import HTMX, Dataset, Scenario


@cache
def _first_column(d: Dataset) -> int:
    """The first column of the boards: the default status (the busiest one)."""
    from piste.leads.selectors import lead_statuses

    return next(s.pk for s in lead_statuses(d.company_id) if s.is_open and not s.folded)


@cache
def _cards(d: Dataset, kind: str, after: int | None = None) -> tuple[int, ...]:
    """The ids of the first column's cards as the bench user's board shows them."""
    from piste.leads.selectors import LeadFilters, lead_statuses
    from piste.leads.selectors_board import column_cards

    statuses = lead_statuses(d.company_id)
    status = next(s for s in statuses if s.pk == _first_column(d))
    cards, _after = column_cards(
        user=d.bench_user,
        kind=kind,
        filters=LeadFilters(),
        statuses=statuses,
        status=status,
        after=after,
    )
    if not cards:
        raise LookupError(f"the {kind} board's first column is empty")
    return tuple(card.pk for card in cards)


def _link(pk: int) -> str:
    """The link a card opens."""
    return f'href="/leads/{pk}/"'


def _more_after(d: Dataset) -> int:
    """The last card of the first page of Open leads' first column: where "More" starts."""
    return _cards(d, "open")[-1]


def _more_url(d: Dataset) -> str:
    return f"/leads/open/kanban/column/{_first_column(d)}/?after={_more_after(d)}"


def _expect_more(d: Dataset) -> str:
    return _link(_cards(d, "open", _more_after(d))[0])


def _board(kind: str, what: str) -> Scenario:
    def expect(d: Dataset) -> str:
        return _link(_cards(d, kind)[0])

    return Scenario(
        name=f"lead_kanban_{kind}",
        target_p95_ms=150,
        url=lambda d: f"/leads/{kind}/kanban/",
        what=what,
        expect=expect,
    )


def _column_more() -> Scenario:
    return Scenario(
        name="lead_kanban_column_more",
        target_p95_ms=100,
        url=_more_url,
        headers=HTMX,
        what="The next 20 cards of Open leads' first column, as its « More » asks them when it "
        "scrolls into view (HTMX): id < after, newest first.",
        expect=_expect_more,
    )


SCENARIOS: list[Scenario] = [
    _board(
        "open",
        "Open leads as a board: the first 20 cards of each of the four open columns (newest "
        "first, keyset on the id), a count capped at 1,001 rows per "
        "column holding more, the cards' tags in one query; the closed columns (drop targets) "
        "read nothing.",
    ),
    _board(
        "mine",
        "My leads as a board (the bench user has 1 lead in 21): the six columns' first 20 "
        "cards and capped counts, over the (assigned_to, status, id) index.",
    ),
    _column_more(),
]
