"""Reads of the portfolio kanban (one column per sales stage) and the signature calendar.

The kanban's column figures (count, amount, weighted amount) come from ``StageTotal``: a few
hundred rows per company whatever the number of opportunities, narrowed by the same record-scope
rules as ``piste.core.access.records_for_user`` (``stage_totals_for_user``). A search has no
running totals: its figures are counted over the matching opportunities, at most LIVE_CAP + 1
read for all the columns. Cards are read per column, newest first, LIMIT COLUMN_PAGE + 1 by
keyset on the (company, stage, -id) index.

The calendar reads one month (or week) of expected signing dates over the (company,
expected_close_date, id) index: the day totals in one GROUP BY, the cards in one query that keeps
the first cards of each day (a window function), never the whole range's rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict

from piste.core.access import actor_for, require_actor
from piste.core.rights import Scope
from piste.core.text import fold, is_id, search_text
from piste.opportunities.models import Opportunity, OpportunityStage, StageTotal
from piste.opportunities.selectors import opportunities_for_user
from piste.users.models import Team, User

# Cards a column shows at first, and per "more" page.
COLUMN_PAGE = 20
# A search reads at most this many matching opportunities (all columns together): fewer, each
# column's figures are exact; more, the columns say there are too many to count.
LIVE_CAP = 2000
# What a card shows: the card query reads these columns only.
CARD_COLUMNS = (
    "id",
    "company_id",
    "number",
    "name",
    "amount",
    "currency",
    "probability",
    "expected_close_date",
    "stage_id",
    "version",
    "partner__id",
    "partner__full_name",
    "assigned_to__id",
    "assigned_to__username",
    "assigned_to__first_name",
    "assigned_to__last_name",
)

# What a calendar card also shows: a closed opportunity's stage.
STAGE_COLUMNS = ("stage__id", "stage__name", "stage__is_open")


# Filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    """What the kanban and the calendar are narrowed to, as parsed from the URL."""

    q: str = ""
    mine: bool = False
    owner: int | None = None
    team: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.mine or self.owner or self.team)

    def params(self) -> dict[str, str]:
        """The filters as URL parameters (empty ones left out)."""
        found = {
            "q": self.q,
            "mine": "1" if self.mine else "",
            "owner": str(self.owner or ""),
            "team": str(self.team or ""),
        }
        return {k: v for k, v in found.items() if v}

    def query(self, **extra: str) -> str:
        return urlencode({**self.params(), **{k: v for k, v in extra.items() if v}})


def parse_filters(params: QueryDict | dict[str, str]) -> BoardFilters:
    """The filters of a query string; anything malformed is ignored (never an error)."""
    owner = params.get("owner") or ""
    team = params.get("team") or ""
    return BoardFilters(
        q=search_text(params.get("q")),
        mine=params.get("mine") == "1",
        owner=int(owner) if is_id(owner) and int(owner) > 0 else None,
        team=int(team) if is_id(team) and int(team) > 0 else None,
    )


_REFERENCE = re.compile(r"^(?:opp)?[\s-]*0*(\d{1,9})$")


def _search(qs: QuerySet[Opportunity], text: str) -> QuerySet[Opportunity]:
    """Name containing what was typed (accents and case ignored), or the reference
    ("OPP-00042", "42")."""
    key = fold(text)
    if not key:
        return qs
    found = Q(name_key__contains=key)
    reference = _REFERENCE.match(key)
    if reference:
        found |= Q(number=int(reference.group(1)))
    return qs.filter(found)


def filtered_opportunities(user: User, filters: BoardFilters) -> QuerySet[Opportunity]:
    """The opportunities the user may see, narrowed by ``filters``."""
    qs = opportunities_for_user(user)
    if filters.mine:
        qs = qs.filter(assigned_to_id=user.pk)
    if filters.owner:
        qs = qs.filter(assigned_to_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    return _search(qs, filters.q)


def stages(company_id: int) -> list[OpportunityStage]:
    """The company's sales stages in kanban order."""
    return list(OpportunityStage.objects.filter(company_id=company_id).order_by("sequence", "id"))


# Column figures ------------------------------------------------------------------------------


@dataclass
class Figures:
    """A column's (or a day's) count and sums, per currency."""

    count: int = 0
    # Not counted: a search matched more than LIVE_CAP opportunities.
    capped: bool = False
    # currency -> (amount, weighted amount); EUR first when present.
    amounts: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    def add(self, currency: str, count: int, amount: Decimal, weighted: Decimal) -> None:
        self.count += count
        before = self.amounts.get(currency, (Decimal(0), Decimal(0)))
        self.amounts[currency] = (before[0] + (amount or 0), before[1] + (weighted or 0))


def stage_totals_for_user(user: Any) -> QuerySet[StageTotal]:
    """The StageTotal rows whose opportunities the user may see.

    The rules of ``piste.core.access.records_for_user`` (owner ``assigned_to``, team ``team``,
    creator ``created_by``) over the rows' owner_id, team_id and creator_id (0 for none): the
    whole company; else what I own or created, plus, with the "my teams" scope, what my teams'
    members and leaders own and what is of my teams. Each row holds opportunities sharing these
    three ids, so every one of them is visible or none is.
    """
    actor = actor_for(user)
    if actor is None:
        return StageTotal.objects.none()
    qs = StageTotal.objects.filter(company_id=actor.company.pk)
    if actor.scope == Scope.COMPANY:
        return qs
    mine = Q(owner_id=actor.user.pk) | Q(creator_id=actor.user.pk)
    if actor.scope == Scope.OWN or not actor.team_ids:
        return qs.filter(mine)
    teammates = sorted(actor.teammate_ids)
    return qs.filter(mine | Q(owner_id__in=teammates) | Q(team_id__in=actor.team_ids))


def column_figures(user: User, filters: BoardFilters, stage_ids: list[int]) -> dict[int, Figures]:
    """Each column's figures. Queries: 1, from the running totals; with a search, 1 over at
    most LIVE_CAP + 1 matching opportunities (``search_scan``)."""
    if filters.q:
        return search_scan(user, filters, stage_ids).figures
    figures = {pk: Figures() for pk in stage_ids}
    totals = stage_totals_for_user(user).filter(stage_id__in=stage_ids)
    # Owner, team and "mine" are columns of the running totals: exact figures there too.
    if filters.mine:
        totals = totals.filter(owner_id=user.pk)
    if filters.owner:
        totals = totals.filter(owner_id=filters.owner)
    if filters.team:
        totals = totals.filter(team_id=filters.team)
    rows = (
        totals.values("stage_id", "currency")
        .annotate(n=Sum("count"), amount_sum=Sum("amount"), weighted_sum=Sum("weighted_amount"))
        .order_by("stage_id", "currency")
    )
    for row in rows:
        figures[row["stage_id"]].add(
            row["currency"], row["n"] or 0, row["amount_sum"], row["weighted_sum"]
        )
    return {pk: _eur_first(f) for pk, f in figures.items()}


@dataclass
class SearchScan:
    """What one read of a search's matching opportunities tells."""

    figures: dict[int, Figures]
    # Each column's matching ids, newest first; None when more than LIVE_CAP matched.
    ids: dict[int, list[int]] | None


def search_scan(user: User, filters: BoardFilters, stage_ids: list[int]) -> SearchScan:
    """The figures of a searched board, counted over the matching opportunities (at most
    LIVE_CAP + 1 read, in no order: the database stops at the cap), and each column's matching
    ids when they are all known. Queries: 1.

    One read for all the columns: six capped counts read six times as many rows, and a rare
    word, matching less than the cap, made each of them read its whole column (there is no
    trigram index on the opportunities' names).
    """
    rows = list(
        filtered_opportunities(user, filters)
        .filter(stage_id__in=stage_ids)
        .order_by()
        .values_list("id", "stage_id", "currency", "amount", "weighted_amount")[: LIVE_CAP + 1]
    )
    if len(rows) > LIVE_CAP:
        return SearchScan({pk: Figures(capped=True) for pk in stage_ids}, None)
    figures = {pk: Figures() for pk in stage_ids}
    ids: dict[int, list[int]] = {pk: [] for pk in stage_ids}
    for pk, stage_id, currency, amount, weighted in rows:
        figures[stage_id].add(currency, 1, amount, weighted)
        ids[stage_id].append(pk)
    for found in ids.values():
        found.sort(reverse=True)
    return SearchScan({pk: _eur_first(f) for pk, f in figures.items()}, ids)


def cards_by_id(user: User, ids: list[int]) -> dict[int, Opportunity]:
    """The cards of these ids the user may see. Queries: 1 (none without ids)."""
    if not ids:
        return {}
    rows = (
        opportunities_for_user(user)
        .filter(id__in=ids)
        .select_related("partner", "assigned_to")
        .only(*CARD_COLUMNS)
    )
    return {row.pk: row for row in rows}


def _eur_first(figures: Figures) -> Figures:
    figures.amounts = dict(
        sorted(figures.amounts.items(), key=lambda item: (item[0] != "EUR", item[0]))
    )
    return figures


# Cards ---------------------------------------------------------------------------------------


def column_cards(
    user: User,
    filters: BoardFilters,
    stage_id: int,
    *,
    after: int | None = None,
    per_page: int = COLUMN_PAGE,
) -> tuple[list[Opportunity], int | None]:
    """One page of a column, newest first: the cards, and the id to ask the next page
    ``after`` (None on the last page). Queries: 1."""
    qs = filtered_opportunities(user, filters).filter(stage_id=stage_id)
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(
        qs.select_related("partner", "assigned_to")
        .only(*CARD_COLUMNS)
        .order_by("-id")[: per_page + 1]
    )
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].pk if more else None)


def parse_after(value: str | None) -> int | None:
    """The ``after`` id of a "more" request; None (the first page) when malformed."""
    return int(value) if value and is_id(value) and int(value) > 0 else None


def board_card(user: User, pk: int) -> Opportunity | None:
    """One card as the kanban or the calendar shows it (after a move), if the user still sees
    it. Queries: 1."""
    return (
        opportunities_for_user(user)
        .select_related("partner", "assigned_to", "stage")
        .only(*CARD_COLUMNS, *STAGE_COLUMNS)
        .filter(pk=pk)
        .first()
    )


def board_filter_choices(user: User) -> tuple[list[User], list[Team]]:
    """The owner and team choices of the filter bar. Queries: 2."""
    from piste.core.forms import company_users

    company_id = require_actor(user).company.pk
    return (
        list(company_users(company_id).only("id", "username", "first_name", "last_name")),
        list(Team.objects.filter(company_id=company_id).order_by("name_key", "id")),
    )


# Calendar ------------------------------------------------------------------------------------

# Cards shown per day: the month view's cells are small; a week has room.
MONTH_DAY_CARDS = 4
WEEK_DAY_CARDS = 20
# Years the calendar navigates (date arithmetic stays far from date.min and date.max).
FIRST_YEAR, LAST_YEAR = 1900, 2999

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """The month or the ISO week a calendar page shows."""

    kind: str  # "month" or "week"
    first: date  # the 1st of the month, or the week's Monday
    last: date  # the month's last day, or the week's Sunday

    @property
    def grid_first(self) -> date:
        """The Monday the page's grid starts on."""
        return self.first - timedelta(days=self.first.weekday())

    @property
    def grid_last(self) -> date:
        return self.last + timedelta(days=6 - self.last.weekday())

    @property
    def param(self) -> tuple[str, str]:
        """("month", "2026-11") or ("week", "2026-W48")."""
        if self.kind == "month":
            return "month", f"{self.first.year:04d}-{self.first.month:02d}"
        year, week, _day = self.first.isocalendar()
        return "week", f"{year:04d}-W{week:02d}"

    def previous(self) -> Period | None:
        return _shifted(self, -1)

    def next(self) -> Period | None:
        return _shifted(self, 1)

    @property
    def day_cards(self) -> int:
        return MONTH_DAY_CARDS if self.kind == "month" else WEEK_DAY_CARDS


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first, following - timedelta(days=1))


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def _shifted(period: Period, step: int) -> Period | None:
    if period.kind == "month":
        day = period.first - timedelta(days=1) if step < 0 else period.last + timedelta(days=1)
        shifted = month_of(day)
    else:
        shifted = week_of(period.first + timedelta(days=7 * step))
    return shifted if FIRST_YEAR <= shifted.first.year <= LAST_YEAR else None


def parse_period(params: QueryDict | dict[str, str], today: date) -> tuple[Period, str | None]:
    """The period asked by ``?month=YYYY-MM`` or ``?week=YYYY-Www`` (this month by default), and
    a message when what was asked is not a month or a week (the current month or week is shown
    instead)."""
    from django.utils.translation import gettext as _

    week = (params.get("week") or "").strip()
    month = (params.get("month") or "").strip()
    if week:
        found = _WEEK.match(week)
        if found and FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
            try:
                monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
            except ValueError:
                pass
            else:
                return week_of(monday), None
        shown = search_text(week, max_length=20)
        return week_of(today), _("“%(value)s” is not a week (such as 2026-W48): this week is "
                                 "shown.") % {"value": shown}  # fmt: skip
    if month:
        found = _MONTH.match(month)
        if (
            found
            and FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR
            and 1 <= int(found.group(2)) <= 12
        ):
            return month_of(date(int(found.group(1)), int(found.group(2)), 1)), None
        shown = search_text(month, max_length=20)
        return month_of(today), _("“%(value)s” is not a month (such as 2026-11): this month is "
                                  "shown.") % {"value": shown}  # fmt: skip
    return month_of(today), None


@dataclass
class Day:
    day: date
    cards: list[Opportunity] = field(default_factory=list)
    figures: Figures = field(default_factory=Figures)

    @property
    def hidden(self) -> int:
        """Opportunities of the day not shown (beyond the day's cards)."""
        return max(self.figures.count - len(self.cards), 0)


def calendar_queryset(
    user: User, filters: BoardFilters, *, include_closed: bool
) -> QuerySet[Opportunity]:
    """The opportunities the calendar places: those the user sees, open ones unless asked."""
    qs = filtered_opportunities(user, filters)
    if not include_closed:
        qs = qs.filter(stage__is_open=True)
    return qs


def calendar_days(
    user: User,
    filters: BoardFilters,
    period: Period,
    *,
    include_closed: bool = False,
) -> dict[date, Day]:
    """Every day of the period's grid with its first cards (the largest amounts first) and its
    figures. Queries: 3 (the day totals and the ids of each day's first cards, both over the
    grid's range of the (company, expected_close_date, id) index; then those cards), 2 when
    there is no card."""
    first, last = period.grid_first, period.grid_last
    days = {
        first + timedelta(days=n): Day(first + timedelta(days=n))
        for n in range((last - first).days + 1)
    }
    qs = calendar_queryset(user, filters, include_closed=include_closed).filter(
        expected_close_date__gte=first, expected_close_date__lte=last
    )
    totals = (
        qs.values("expected_close_date", "currency")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum("weighted_amount"))
        .order_by()
    )
    for row in totals:
        days[row["expected_close_date"]].figures.add(
            row["currency"], row["n"], row["amount_sum"], row["weighted_sum"]
        )
    # Each day's first cards are ranked over the opportunities alone, then read by id with what
    # they show. Joining the partners before ranking joined every row of the range, and the
    # ranking as a subquery made PostgreSQL expect thousands of ids and scan the whole table
    # (75 and 95 ms against 25 ms for a month of 300,000 opportunities).
    first_cards = list(
        qs.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("expected_close_date")],
                order_by=[F("amount").desc(), F("id").asc()],
            )
        )
        .filter(rank__lte=period.day_cards)
        .values_list("id", flat=True)
    )
    if not first_cards:
        return _finish(days)
    cards = (
        Opportunity.objects.filter(id__in=first_cards)
        .select_related("partner", "assigned_to", "stage")
        .only(*CARD_COLUMNS, *STAGE_COLUMNS)
        .order_by("expected_close_date", "-amount", "id")
    )
    for card in cards:
        if card.expected_close_date is not None:  # always, in the range
            days[card.expected_close_date].cards.append(card)
    return _finish(days)


def _finish(days: dict[date, Day]) -> dict[date, Day]:
    for found in days.values():
        _eur_first(found.figures)
    return days


def sum_figures(parts: list[Figures]) -> Figures:
    total = Figures()
    for part in parts:
        for currency, (amount, weighted) in part.amounts.items():
            total.add(currency, 0, amount, weighted)
        total.count += part.count
    return _eur_first(total)


def days_figures(
    user: User, filters: BoardFilters, wanted: list[date], *, include_closed: bool = False
) -> dict[date, Figures]:
    """The figures of a few days (after a move). Queries: 1."""
    found = {day: Figures() for day in wanted}
    rows = (
        calendar_queryset(user, filters, include_closed=include_closed)
        .filter(expected_close_date__in=wanted)
        .values("expected_close_date", "currency")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum("weighted_amount"))
        .order_by()
    )
    for row in rows:
        found[row["expected_close_date"]].add(
            row["currency"], row["n"], row["amount_sum"], row["weighted_sum"]
        )
    return {day: _eur_first(figures) for day, figures in found.items()}
