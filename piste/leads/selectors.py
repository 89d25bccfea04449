"""Reads on leads: the one access-filtered queryset, the one checked getter, the lists."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet, Value
from django.db.models.functions import StrIndex
from django.utils import timezone

from piste.core.access import get_or_404, records_for_user, require_actor
from piste.core.pagination import Page, grouped_page, keyset_page
from piste.core.text import fold, search_text
from piste.leads.models import Lead, LeadStatus
from piste.users.models import Company, User

PAGE_SIZE = 25


class ListKind:
    MINE = "mine"
    OPEN = "open"
    CLOSED = "closed"
    ALL = (MINE, OPEN, CLOSED)


# URL sort name -> column. "status" and "assigned" are walked group by group (grouped_page).
SORTS = {
    "name": "name_key",
    "company": "enterprise_key",
    "phone": "main_phone",
    "city": "city_key",
    "created": "created_at",
    "scoring": "scoring",
    "status": "status_id",
    "assigned": "assigned_to_id",
}
DEFAULT_SORT = "-created"
# What a list row shows and the sorts' cursors read: a lead row holds 40 columns, among them
# descriptions of up to 200 kB, and building each model from all of them was a third of a
# list page's time.
LIST_COLUMNS = (
    "id",
    "company_id",
    "first_name",
    "last_name",
    "full_name",
    "enterprise_name",
    "main_phone",
    "city_name",
    "created_at",
    "scoring",
    # The row icons: "send an email" is greyed out without an address or with do-not-email.
    "email",
    "do_not_email",
    *(column for column in SORTS.values() if not column.endswith("_id")),
    "status__name",
    "status__is_open",
    "status__role",
    "assigned_to__username",
    "assigned_to__first_name",
    "assigned_to__last_name",
)


def leads_for_user(user: Any) -> QuerySet[Lead]:
    """Every lead the user may see: their company, narrowed by their role's record scope;
    never a lead archived by a merge (``piste.duplicates``: its page sends to the survivor)."""
    return records_for_user(user, Lead.objects.filter(merged_into__isnull=True))


def lead_get_for_user(user: Any, pk: Any) -> Lead:
    """One lead the user may see, with what its page shows; 404 otherwise (other company too)."""
    # Thirteen joins cost PostgreSQL 14 ms to plan (0.7 ms to run) at 1,000,000 leads: the most
    # used relations are joined, the referentials come with one small query each, only when
    # the lead has them (4.6 ms in all).
    return get_or_404(
        leads_for_user(user)
        .select_related(
            "status", "lost_reason", "assigned_to", "created_by", "team", "source", "address"
        )
        .prefetch_related(
            "job_title",
            "industry_sector",
            "department",
            "category",
            "agency",
            "address__city__department",
            "address__country",
            "partner",
        ),
        pk,
    )


def has_default_status(company_id: int) -> bool:
    """Whether new leads have a status to take (else the form says where to choose one)."""
    return LeadStatus.objects.filter(company_id=company_id, role=LeadStatus.Role.DEFAULT).exists()


def lead_version(lead: Lead) -> int:
    """The saved version of a lead the user already reached (after a conflicting save)."""
    current = Lead.objects.filter(pk=lead.pk).values_list("version", flat=True).first()
    return current if current is not None else lead.version


def my_latest_leads(user: User, limit: int = 5) -> list[Lead]:
    """The newest leads assigned to the user, for the home page (the My leads index)."""
    return list(
        leads_for_user(user)
        .filter(assigned_to_id=user.pk)
        .select_related("status")
        .order_by("-created_at", "-id")[:limit]
    )


def lead_statuses(company: Company | int) -> list[LeadStatus]:
    """The company's statuses in status-bar order."""
    company_id = company if isinstance(company, int) else company.pk
    return list(LeadStatus.objects.filter(company_id=company_id).order_by("sequence", "id"))


@dataclass
class LeadFilters:
    """What a lead list is narrowed to (all optional), as parsed from the URL."""

    q: str = ""
    unassigned: bool = False
    my_team: bool = False
    statuses: list[int] = field(default_factory=list)
    source: int | None = None
    tags: list[int] = field(default_factory=list)
    scoring_min: int | None = None
    key_account: bool = False
    nurturing: bool = False
    assigned: int | None = None
    created_from: date | None = None
    created_to: date | None = None

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.unassigned,
                self.my_team,
                self.statuses,
                self.source,
                self.tags,
                self.scoring_min,
                self.key_account,
                self.nurturing,
                self.assigned,
                self.created_from,
                self.created_to,
            )
        )


# A search of many words reads the index for a few of them only (the phrase decides anyway).
MAX_WORDS = 4
_PHONE_LIKE = re.compile(r"^\+?[\d\s.\-()/]+$")


def _search(qs: QuerySet[Lead], text: str) -> QuerySet[Lead]:
    """Name, company, email or phone containing what was typed (accents and case ignored; a
    phone typed with spaces or dots, nationally or with its country code)."""
    text = search_text(text)
    if not text:
        return qs
    digits = "".join(ch for ch in text if ch.isdigit())
    if _PHONE_LIKE.match(text) and len(digits) >= 3:
        return qs.filter(search_key__contains=digits)
    key = fold(text)
    # Words of three letters or more, the longest first: those a trigram index can serve.
    words = sorted({w for w in key.split() if len(w) >= 3}, key=len, reverse=True)[:MAX_WORDS]
    if len(key.split()) < 2 or not words:
        return qs.filter(search_key__contains=key) if key else qs
    # The trigram index serves one LIKE per word faster than the whole phrase's (12 ms against
    # 20 ms for "menuiserie bert" at 1,000,000 leads); the phrase itself is then checked on the
    # few rows found, with a function no index serves.
    for word in words:
        qs = qs.filter(search_key__contains=word)
    return qs.alias(phrase_at=StrIndex("search_key", Value(key))).filter(phrase_at__gt=0)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered_leads(
    *, user: User, kind: str, filters: LeadFilters, statuses: list[LeadStatus]
) -> QuerySet[Lead]:
    """The leads of one list (mine / open / closed) narrowed by ``filters``, access-checked."""
    actor = require_actor(user)
    qs = leads_for_user(user)
    if kind == ListKind.MINE:
        qs = qs.filter(assigned_to_id=user.pk)
    elif kind == ListKind.OPEN:
        qs = qs.filter(status_id__in=[s.pk for s in statuses if s.is_open])
    elif kind == ListKind.CLOSED:
        qs = qs.filter(status_id__in=[s.pk for s in statuses if not s.is_open])
    if filters.unassigned:
        qs = qs.filter(assigned_to__isnull=True)
    if filters.my_team:
        qs = qs.filter(team_id__in=actor.team_ids)
    if filters.statuses:
        qs = qs.filter(status_id__in=filters.statuses)
    if filters.source:
        qs = qs.filter(source_id=filters.source)
    if filters.tags:
        # A semi-join, so a lead with two of the tags is listed once.
        qs = qs.filter(
            id__in=Lead.tags.through.objects.filter(tag_id__in=filters.tags).values("lead_id")
        )
    if filters.scoring_min:
        qs = qs.filter(scoring__gte=filters.scoring_min)
    if filters.key_account:
        qs = qs.filter(is_key_account=True)
    if filters.nurturing:
        qs = qs.filter(is_nurturing=True)
    if filters.assigned:
        qs = qs.filter(assigned_to_id=filters.assigned)
    if filters.created_from:
        qs = qs.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    return _search(qs, filters.q)


def sort_of(sort: str | None) -> str:
    """The sort asked in the URL if the lists offer it, else newest first."""
    if sort and sort.lstrip("-") in SORTS:
        return sort
    return DEFAULT_SORT


def assignee_groups(company_id: int) -> list[int | None]:
    """Users of the company (past members too) in name order, then "unassigned"."""
    users = list(
        User.objects.filter(memberships__company_id=company_id)
        .order_by("first_name", "last_name", "username", "id")
        .values_list("id", flat=True)
        .distinct()
    )
    return [*users, None]


def leads_page(
    *,
    user: User,
    kind: str,
    filters: LeadFilters,
    sort: str | None,
    cursor: str | None,
    statuses: list[LeadStatus],
    per_page: int = PAGE_SIZE,
) -> Page[Lead]:
    """One page of a lead list with what its rows show.

    Queries: 1 for the page, plus 1 for the rows' tags; sorted by status or assignee, 1 per
    status (user) read until the page is full, plus 1 for the users' order.
    """
    sort = sort_of(sort)
    column = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    qs = (
        filtered_leads(user=user, kind=kind, filters=filters, statuses=statuses)
        .select_related("status", "assigned_to")
        .only(*LIST_COLUMNS)
    )
    if column == "status_id":
        page = grouped_page(
            qs,
            field=column,
            groups=[s.pk for s in statuses],
            cursor=cursor,
            descending=descending,
            per_page=per_page,
        )
    elif column == "assigned_to_id":
        page = grouped_page(
            qs,
            field=column,
            groups=assignee_groups(require_actor(user).company.pk),
            cursor=cursor,
            descending=descending,
            per_page=per_page,
        )
    else:
        page = keyset_page(qs, sort=f"-{column}" if descending else column, cursor=cursor,
                           per_page=per_page)  # fmt: skip
    attach_tags(page.rows)
    return page


def attach_tags(rows: list[Lead]) -> None:
    """``row.tag_list`` for every row, in one query (none without rows): the lists' rows and
    the kanban's cards."""
    if not rows:
        return
    through = Lead.tags.through
    by_lead: dict[int, list[Any]] = {r.pk: [] for r in rows}
    for link in (
        through.objects.filter(lead_id__in=list(by_lead))
        .select_related("tag")
        .order_by("tag__name_key")
    ):
        by_lead[link.lead_id].append(link.tag)
    for row in rows:
        row.tag_list = by_lead[row.pk]  # type: ignore[attr-defined]


def matching_count(qs: QuerySet[Lead], limit: int) -> int:
    """How many leads match, counted up to ``limit`` + 1 at most (never a full COUNT(*))."""
    return qs.order_by()[: limit + 1].count()
