"""Reads of duplicate checks and scans: which records a check reads, which checks a user sees,
a page of a check's groups with the records still to look at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from piste.core.access import actor_for, get_or_404
from piste.core.contact import phone_display
from piste.core.pagination import Page, keyset_page
from piste.core.rights import Right
from piste.core.search import byte_order, byte_prefix_q
from piste.duplicates.models import DuplicateGroup, DuplicateScan, Entity
from piste.leads.forms_lists import LeadFilterForm
from piste.leads.models import Lead
from piste.leads.selectors import ListKind, filtered_leads, lead_statuses, leads_for_user
from piste.partners.models import Contact, Partner
from piste.partners.selectors import (
    _KIND_FILTERS,
    contacts_for_user,
    partners_for_user,
    search_key,
)

# Who sees every check of the company and may scan the whole database: the administrators and
# sales managers, who also delete records (a merge archives records: cleaning the base is
# theirs). Anyone else sees the checks they started.
SCAN_RIGHT = Right.DELETE_RECORDS

MODELS: dict[str, Any] = {Entity.LEAD: Lead, Entity.PARTNER: Partner, Entity.CONTACT: Contact}
VISIBLE: dict[str, Callable[[Any], QuerySet[Any]]] = {
    Entity.LEAD: leads_for_user,
    Entity.PARTNER: partners_for_user,
    Entity.CONTACT: contacts_for_user,
}
DETAIL_URLS: dict[str, str] = {
    Entity.LEAD: "leads:detail",
    Entity.PARTNER: "partners:detail",
    Entity.CONTACT: "partners:contact",
}
GROUPS_PAGE = 20
SCANS_PAGE = 25
# A group shows its first records; a larger one says how many more it holds. Whether a group
# is merged is decided on the ids read, so only for groups no larger than this.
READ_PER_GROUP = 50
# The merge page takes this many records at most (merge_fields.MAX_RECORDS): a larger group's
# Merge button takes its first ones.
MERGE_AT_ONCE = 20


# What a check reads -----------------------------------------------------------------------------


def records_for_check(
    *,
    entity: str,
    user: Any | None,
    company_id: int,
    record_ids: list[int] | None = None,
    list_query: str = "",
) -> QuerySet[Any]:
    """The records a check compares: the user's visible ones (a scheduled scan, ``user`` None:
    all the company's), narrowed by a list's filters or to a selection; never merged ones."""
    if user is None:
        qs = MODELS[entity].objects.filter(merged_into__isnull=True)
    elif list_query and not record_ids:
        qs = _list(entity, user, QueryDict(list_query))
    else:
        qs = VISIBLE[entity](user)
    # The user's active company is the check's (see services_checks); this holds anyway.
    qs = qs.filter(company_id=company_id)
    if record_ids:
        qs = qs.filter(pk__in=record_ids)
    return qs


def _list(entity: str, user: Any, query: QueryDict) -> QuerySet[Any]:
    """The records of the list the check was started from, with that list's own filters."""
    if entity == Entity.LEAD:
        actor = actor_for(user)
        kind = query.get("kind", "")
        return filtered_leads(
            user=user,
            kind=kind if kind in ListKind.ALL else "",
            filters=LeadFilterForm(query).filters(),
            statuses=lead_statuses(actor.company) if actor and kind in ListKind.ALL else [],
        )
    # The accounts page: a name's first letters (either order of a person's names), and for
    # partners the kind shown (prospects, customers, others).
    qs = VISIBLE[entity](user)
    kind = str(query.get("kind", ""))
    if entity == Entity.PARTNER and kind in _KIND_FILTERS:
        qs = qs.filter(_KIND_FILTERS[kind])
    key = search_key(query.get("q"))
    if key:
        qs = qs.alias(name_bytes=byte_order("name_key"), alt_bytes=byte_order("alt_key")).filter(
            byte_prefix_q("name_bytes", key) | byte_prefix_q("alt_bytes", key)
        )
    return qs


# Checks -----------------------------------------------------------------------------------------


def scans_for_user(user: Any) -> QuerySet[DuplicateScan]:
    """The company's checks the user sees, newest first: all of them with the scan right, else
    those they started (their groups were read from records they saw)."""
    actor = actor_for(user)
    if actor is None:
        return DuplicateScan.objects.none()
    qs = DuplicateScan.objects.filter(company_id=actor.company.pk)
    if not actor.has(SCAN_RIGHT):
        qs = qs.filter(created_by_id=actor.user.pk)
    return qs.order_by("-created_at", "-id")


def scan_get_for_user(user: Any, pk: Any) -> DuplicateScan:
    return get_or_404(scans_for_user(user).select_related("created_by"), pk)


def scans_page(user: Any, cursor: str | None) -> Page[DuplicateScan]:
    """One page of the checks list. Queries: 1 (with who started each)."""
    qs = scans_for_user(user).select_related("created_by")
    return keyset_page(qs, sort="-created_at", cursor=cursor, per_page=SCANS_PAGE)


def has_running(page: Page[DuplicateScan]) -> bool:
    return any(s.state in (DuplicateScan.State.QUEUED, DuplicateScan.State.RUNNING)
               for s in page.rows)  # fmt: skip


# A check's groups -------------------------------------------------------------------------------


@dataclass
class GroupRow:
    group: DuplicateGroup
    # The records still there (not merged) that the user sees, as the results show them.
    records: list[dict[str, Any]] = field(default_factory=list)
    # Records not merged among those read, and those of them the user does not see.
    left: int = 0
    hidden: int = 0

    @property
    def more(self) -> int:
        return max(0, self.group.size - READ_PER_GROUP)

    @property
    def merged(self) -> bool:
        return self.left < 2 if self.group.size <= READ_PER_GROUP else self.group.merged

    @property
    def merge_ids(self) -> list[int]:
        return [r["id"] for r in self.records[:MERGE_AT_ONCE]]


@dataclass
class GroupsPage:
    rows: list[GroupRow]
    next_cursor: str | None
    # Groups whose merged flag no longer says what the records do (merged, or a merge undone).
    now_merged: list[int]
    now_unmerged: list[int]


def _cursor(value: str | None) -> tuple[int, int] | None:
    size, _sep, pk = (value or "").partition("-")
    if not (size.isascii() and size.isdigit() and pk.isascii() and pk.isdigit()):
        return None
    if len(size) > 9 or len(pk) > 18:
        return None
    return int(size), int(pk)


# The columns a result row shows, per entity: (display name, column).
_SHOWN: dict[str, dict[str, str]] = {
    Entity.LEAD: {"company": "enterprise_name", "city": "city_name"},
    Entity.PARTNER: {"name": "full_name", "company": "siren", "city": "city_name"},
    Entity.CONTACT: {"company": "main_partner__name", "city": "address__city_name"},
}
# Leads and contacts show their names (a partner its full name, a person's or a company's).
_LAST_NAME: dict[str, tuple[str, ...]] = {
    Entity.LEAD: ("last_name",),
    Entity.CONTACT: ("last_name",),
}
_COMMON = (
    *("id", "first_name", "email", "fixed_phone", "mobile_phone", "created_at"),
    *("assigned_to__username", "assigned_to__first_name", "assigned_to__last_name"),
)


def groups_page(*, user: Any, scan: DuplicateScan, cursor: str | None) -> GroupsPage:
    """One page of groups, largest first, each with its records still to look at.

    Queries: 1 for the page's groups, 1 for all their records (whether each is merged and
    whether the user sees it come with it).
    """
    qs = DuplicateGroup.objects.filter(scan=scan).order_by("-size", "id")
    after = _cursor(cursor)
    if after is not None:
        size, pk = after
        qs = qs.filter(Q(size__lt=size) | Q(size=size, id__gt=pk))
    groups = list(qs[: GROUPS_PAGE + 1])
    next_cursor = None
    if len(groups) > GROUPS_PAGE:
        groups = groups[:GROUPS_PAGE]
        next_cursor = f"{groups[-1].size}-{groups[-1].pk}"
    rows = [GroupRow(group=g) for g in groups]
    wanted = {pk for g in groups for pk in g.record_ids[:READ_PER_GROUP]}
    records = _records(user, scan, wanted) if wanted else {}
    detail = reverse(DETAIL_URLS[scan.entity], args=[0])
    prefix = detail[: detail.rindex("0/")]
    for row in rows:
        for pk in row.group.record_ids[:READ_PER_GROUP]:
            record = records.get(pk)
            if record is None:
                continue
            row.left += 1
            if record["shown"]:
                row.records.append({**record, "url": f"{prefix}{pk}/"})
            else:
                row.hidden += 1
    return GroupsPage(
        rows=rows,
        next_cursor=next_cursor,
        now_merged=[r.group.pk for r in rows if r.merged and not r.group.merged],
        now_unmerged=[r.group.pk for r in rows if not r.merged and r.group.merged],
    )


def _records(user: Any, scan: DuplicateScan, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The records among ``ids`` not merged, as a row shows them, each saying whether the user
    sees it (one query: the access filter is a correlated EXISTS)."""
    model = MODELS[scan.entity]
    shown = _SHOWN[scan.entity]
    visible = VISIBLE[scan.entity](user).filter(pk=OuterRef("pk"))
    rows = (
        model.objects.filter(company_id=scan.company_id, pk__in=sorted(ids))
        .filter(merged_into__isnull=True)
        .annotate(shown=Exists(visible))
        .values(*_COMMON, *shown.values(), *_LAST_NAME.get(scan.entity, ()), "shown")
    )
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        owner = " ".join(
            p for p in (row["assigned_to__first_name"], row["assigned_to__last_name"]) if p
        )
        phones = (row["fixed_phone"], row["mobile_phone"])
        found[row["id"]] = {
            "id": row["id"],
            # A lead's or contact's names alone (its full name may hold its company too).
            "name": " ".join(p for p in (row["first_name"], row.get("last_name")) if p),
            **{name: row[column] or "" for name, column in shown.items()},
            "email": row["email"],
            "phone": " · ".join(phone_display(p) for p in phones if p),
            "created": row["created_at"],
            "owner": owner or row["assigned_to__username"] or "",
            "shown": row["shown"],
        }
    return found
