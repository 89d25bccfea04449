"""Reads on the address book: the access-filtered querysets, the checked getters, the accounts
search (real-time suggestions and the full result list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from piste.core.access import actor_for, get_or_404, records_for_user
from piste.core.rights import Right
from piste.core.search import byte_after_q, byte_order, byte_prefix_q
from piste.core.selectors import CHOICES
from piste.core.text import fold, search_text
from piste.partners.models import Contact, Partner, PartnerType

# Suggestions per kind in the real-time dropdown; rows per page of the full result list.
SUGGESTIONS = 5
RESULTS_PAGE = 25
# Fewer letters than this find nothing: one letter would match a twenty-sixth of the book.
MIN_LETTERS = 2


def partners_for_user(user: Any) -> QuerySet[Partner]:
    """Every partner the user may see: their company, narrowed by their role's record scope;
    closed accounts only with the right « see closed accounts and contacts »; never a partner
    archived by a merge."""
    qs = records_for_user(user, Partner.objects.filter(merged_into__isnull=True))
    actor = actor_for(user)
    if actor is not None and not actor.has(Right.SEE_CLOSED_ACCOUNTS):
        qs = qs.filter(is_closed=False)
    return qs


def contacts_for_user(user: Any) -> QuerySet[Contact]:
    """Every contact the user may see; contacts of closed accounts only with the right; never a
    contact archived by a merge."""
    qs = records_for_user(user, Contact.objects.filter(merged_into__isnull=True))
    actor = actor_for(user)
    if actor is not None and not actor.has(Right.SEE_CLOSED_ACCOUNTS):
        qs = qs.filter(partner_closed=False)
    return qs


def partner_get_for_user(user: Any, pk: Any) -> Partner:
    """One partner the user may see, with what its page shows beyond the form's ids (the
    addresses its address forms edit, who validated it); 404 otherwise. Each more join costs
    the planner: twelve of them took 12 ms where these four take 2."""
    return get_or_404(
        partners_for_user(user).select_related(
            "prospect_validated_by", "main_address", "invoicing_address", "delivery_address"
        ),
        pk,
    )


def contact_get_for_user(user: Any, pk: Any) -> Contact:
    """One contact the user may see, with its main partner and address; 404 otherwise."""
    return get_or_404(contacts_for_user(user).select_related("main_partner", "address"), pk)


def partner_version(partner: Partner) -> int:
    return Partner.objects.filter(pk=partner.pk).values_list("version", flat=True).get()


def contact_version(contact: Contact) -> int:
    return Contact.objects.filter(pk=contact.pk).values_list("version", flat=True).get()


_CONTACT_TAB = (
    *("id", "full_name", "last_name", "name_key", "main_partner_id", "job_title__name"),
    *("fixed_phone", "mobile_phone", "email"),
)


def partner_contacts(user: Any, partner: Partner, limit: int = 200) -> list[Contact]:
    """The partner's contacts the user may see: its own, then those also attached to it; the
    columns the Contacts tab shows."""
    visible = contacts_for_user(user).select_related("job_title").only(*_CONTACT_TAB)
    own = list(visible.filter(main_partner=partner).order_by("name_key", "id")[:limit])
    others = list(
        visible.filter(other_partners=partner)
        .select_related("main_partner")
        .only(*_CONTACT_TAB, "main_partner__full_name", "main_partner__name")
        .order_by("name_key", "id")[:limit]
    )
    return own + others


# Accounts search -------------------------------------------------------------------------------


class Kind:
    CONTACTS = "contacts"
    PROSPECTS = "prospects"
    CUSTOMERS = "customers"
    OTHERS = "others"
    ALL = (CONTACTS, PROSPECTS, CUSTOMERS, OTHERS)


# Which partners each partner kind holds; a customer who is also a prospect lists as customer.
_KIND_FILTERS = {
    Kind.PROSPECTS: Q(is_prospect=True, is_customer=False),
    Kind.CUSTOMERS: Q(is_customer=True),
    Kind.OTHERS: Q(is_prospect=False, is_customer=False),
}


@dataclass(frozen=True)
class Group:
    kind: str
    rows: list[Any]
    # The match_key of the last row and its id, when more rows follow (the next page's cursor).
    more: str | None


def search_key(q: str | None) -> str:
    """What the search box sent, folded as the name keys are; "" when too short."""
    key = fold(search_text(q, max_length=100))
    return key if len(key.replace(" ", "")) >= MIN_LETTERS else ""


def _page(qs: QuerySet[Any], key: str, limit: int, after: tuple[str, int] | None) -> list[Any]:
    """Rows whose name or other name order starts with ``key``, ``limit`` at most, in the order
    of the name that matched (« Marie Dupont » files under « marie » for "ma"); each row's
    ``match_key`` is that name.

    Each name column is walked through its byte-order index separately, ``limit`` rows each, and
    the two short lists merged: an OR of both would read every match before sorting them. The
    other-order walk skips rows the name walk finds, so a row has one place and pages never
    repeat it.
    """
    found: list[Any] = []
    for column in ("name_key", "alt_key"):
        rows = qs.annotate(match_key=byte_order(column)).filter(byte_prefix_q("match_key", key))
        if column == "alt_key":
            rows = rows.alias(name_bytes=byte_order("name_key")).exclude(
                byte_prefix_q("name_bytes", key)
            )
        if after is not None:
            rows = rows.filter(byte_after_q("match_key", *after))
        found.extend(rows.order_by("match_key", "id")[:limit])
    return sorted(found, key=lambda r: (r.match_key, r.pk))[:limit]


# The columns a result row shows (accounts.html#row) and sorts by: wide rows cost at every
# keystroke.
_CONTACT_ROW = (
    *("id", "full_name", "last_name", "name_key", "alt_key"),
    *("main_partner__full_name", "main_partner__name", "job_title__name"),
)
_PARTNER_ROW = (
    *("id", "full_name", "name", "name_key", "alt_key", "city_name"),
    *("is_prospect", "prospect_validated_at", "is_closed"),
)


def _kind_queryset(user: Any, kind: str) -> QuerySet[Any]:
    if kind == Kind.CONTACTS:
        visible = contacts_for_user(user).select_related("main_partner", "job_title")
        return visible.only(*_CONTACT_ROW)
    return partners_for_user(user).filter(_KIND_FILTERS[kind]).only(*_PARTNER_ROW)


def accounts_search(
    user: Any,
    q: str | None,
    *,
    kinds: tuple[str, ...] = Kind.ALL,
    limit: int = SUGGESTIONS,
    after: tuple[str, int] | None = None,
) -> list[Group]:
    """Contacts, prospects, customers and other partners whose name starts with the typed
    letters (accents and case ignored; a person by first or last name), grouped by kind."""
    key = search_key(q)
    if not key:
        return []
    groups = []
    for kind in kinds:
        rows = _page(_kind_queryset(user, kind), key, limit + 1, after)
        more = rows[limit - 1] if len(rows) > limit else None
        groups.append(
            Group(
                kind=kind,
                rows=rows[:limit],
                more=f"{more.match_key}|{more.pk}" if more is not None else None,
            )
        )
    return groups


def parse_after(value: str | None) -> tuple[str, int] | None:
    """The cursor of the full list's next page (``match_key``, "|", id)."""
    if not value or "|" not in value:
        return None
    name, _sep, pk = value.rpartition("|")
    if "\x00" in name:
        return None  # PostgreSQL refuses NUL in text: a forged cursor shows the first page
    try:
        return name[:320], int(pk)
    except ValueError:
        return None


def organisation_choices(
    user: Any,
    q: str | None,
    *,
    exclude: int | None = None,
    limit: int = CHOICES,
    individuals: bool = False,
) -> list[Partner]:
    """The organisations a parent-company picker offers for the typed letters, in name order
    (the first ones when nothing is typed); the partner being edited is never its own parent.
    With ``individuals``, persons' partners too (the conversion wizard's partner picker)."""
    qs = partners_for_user(user)
    if not individuals:
        qs = qs.filter(partner_type=PartnerType.ORGANISATION)
    qs = qs.only("id", "full_name", "name", "name_key", "alt_key")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    key = fold(search_text(q, max_length=100))
    if not key:
        return list(qs.order_by("name_key", "id")[:limit])
    return _page(qs, key, limit, None)


def contact_choices(user: Any, q: str | None, *, limit: int = CHOICES) -> list[Contact]:
    """The contacts a contact picker offers for the typed letters (last or first name first),
    in name order; the first ones when nothing is typed."""
    qs = contacts_for_user(user).select_related("main_partner")
    qs = qs.only(*_CONTACT_ROW)
    key = fold(search_text(q, max_length=100))
    if not key:
        return list(qs.order_by("name_key", "id")[:limit])
    return _page(qs, key, limit, None)


def contact_label(contact: Contact) -> str:
    """A contact as a picker shows it: "Name (Company)" (its main partner loaded)."""
    return f"{contact} ({contact.main_partner})"
