"""What an export reads: each list's rows as plain tuples, in keyset chunks.

A list export is the list the user is looking at: the same query string parsed by the list's
own filter form, the same access-checked selector, the list's columns with their headings.
Rows come in id order (a stable order that a keyset walk serves from the primary key; the
list's sort would need a cursor per sort for no gain in a spreadsheet, which sorts itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from piste.activities import selectors as activity_selectors
from piste.activities.forms import ActionsFilterForm
from piste.core.access import in_company, require_actor, require_right
from piste.core.contact import phone_display
from piste.core.forms import company_users
from piste.core.referentials import REGISTRY as REFERENTIALS
from piste.core.rights import Right
from piste.core.search import byte_order, byte_prefix_q
from piste.core.text import fold, search_text
from piste.exports.models import ExportJob
from piste.exports.writers import Cell, Kind
from piste.leads import selectors as lead_selectors
from piste.leads.forms_lists import LeadFilterForm
from piste.leads.views_lists import COLUMNS as LEAD_COLUMNS
from piste.leads.views_lists import TITLES as LEAD_TITLES
from piste.opportunities import selectors as opportunity_selectors
from piste.opportunities.forms import OpportunityFilterForm
from piste.opportunities.views import COLUMNS as OPPORTUNITY_COLUMNS
from piste.opportunities.views import TITLES as OPPORTUNITY_TITLES
from piste.partners import selectors_prospects as prospect_selectors
from piste.partners.forms_prospects import ProspectFilterForm
from piste.partners.models import Partner
from piste.partners.selectors import (
    _KIND_FILTERS,
    contacts_for_user,
    partners_for_user,
    search_key,
)
from piste.partners.selectors import Kind as SearchKind
from piste.partners.selectors_prospects import _list_queryset, _name_match
from piste.partners.views_prospects import TITLES as PROSPECT_TITLES
from piste.users.models import User

# The address book's private helpers above (_KIND_FILTERS, _list_queryset, _name_match) are
# read rather than copied, as the duplicate checks do: an export never drifts from its list.

# Rows read per query: 5,000 narrow tuples are about 2 MB, and the per-query cost is then
# a few percent of the walk.
CHUNK = 5000


@dataclass
class Export:
    """One export ready to write: its headings (in the request's language), its rows (read
    lazily, as the file is written), the errors of the query string, and names."""

    headers: list[str]
    kinds: list[str]
    rows: Iterator[Sequence[Cell]]
    errors: list[str]
    title: str
    file_stem: str
    queryset: QuerySet[Any]

    def more_than(self, limit: int) -> bool:
        """Whether the export holds more than ``limit`` rows: at most ``limit`` + 1 rows read,
        never a COUNT(*) over the whole list."""
        return self.queryset.order_by()[: limit + 1].count() > limit

    def file_name(self, fmt: str, now: datetime) -> str:
        """ "leads-2026-11-24.csv": the list's name and the day, in the user's language."""
        # ASCII (« opportunités » becomes "opportunites"): a header value, quoted as it is.
        return f"{slugify(self.file_stem) or 'export'}-{now:%Y-%m-%d}.{fmt}"


def keyset_rows(
    qs: QuerySet[Any], fields: Sequence[str], *, chunk: int = CHUNK
) -> Iterator[tuple[Any, ...]]:
    """Every row of ``qs`` as ``values_list(id, *fields)``, read ``chunk`` rows at a time by
    ``id > last``: each query is an index range, never an OFFSET, and a long export holds no
    server-side cursor open. A last chunk shorter than ``chunk`` ends the walk without one
    more query."""
    base = qs.order_by("id").values_list("id", *fields)
    last = 0
    while True:
        batch = list(base.filter(id__gt=last)[:chunk])
        yield from batch
        if len(batch) < chunk:
            return
        last = batch[-1][0]


def form_errors(form: Any) -> list[str]:
    """The query string's errors as the lists show them: "Label: message"."""
    return [
        f"{form.fields[name].label}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]


# --- Leads ---------------------------------------------------------------------------------


def french_phone(e164: str) -> str:
    """``phone_display`` for a French number without parsing it (40 µs each: 4 s for
    100,000 leads); any other number goes through ``phone_display``."""
    if len(e164) == 12 and e164.startswith("+33") and e164[3:].isdigit():
        digits = "0" + e164[3:]
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return phone_display(e164)


def _name(first: str, last: str, full: str) -> str:
    # As a list row shows it: "first last", else the stored full name.
    return " ".join(p for p in (first, last) if p) or full or last


def _phone(value: str) -> str:
    return french_phone(value) if value else ""


def lead_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """The lead list ``kind`` (mine / open / closed) as its page shows it for ``query``.

    Queries: 1 for the company's statuses, then 1 per CHUNK rows (status and assignee joined,
    never one query per row)."""
    form = LeadFilterForm(query)
    filters = form.filters()
    statuses = lead_selectors.lead_statuses(require_actor(user).company)
    qs = lead_selectors.filtered_leads(user=user, kind=kind, filters=filters, statuses=statuses)
    unassigned = pgettext("lead", "Unassigned")

    def assignee(first: str | None, last: str | None, username: str | None) -> str:
        if username is None:
            return unassigned
        return f"{first} {last}".strip() or username

    # Each list column (by its sort name, as in piste.leads.views_lists.COLUMNS): the fields
    # read, how its cell is made from them (None: the one field as it is) and its kind.
    columns: dict[str, tuple[tuple[str, ...], Callable[..., Cell] | None, str]] = {
        "name": (("first_name", "last_name", "full_name"), _name, Kind.TEXT),
        "company": (("enterprise_name",), None, Kind.TEXT),
        "phone": (("main_phone",), _phone, Kind.TEXT),
        "city": (("city_name",), None, Kind.TEXT),
        "created": (("created_at",), None, Kind.DATETIME),
        "assigned": (
            ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"),
            assignee,
            Kind.TEXT,
        ),
        "status": (("status__name",), None, Kind.TEXT),
        "scoring": (("scoring",), None, Kind.INT),
    }
    return Export(
        headers=[str(label) for _name, label in LEAD_COLUMNS],
        kinds=[columns[name][2] for name, _label in LEAD_COLUMNS],
        rows=_rows(qs, [columns[name][:2] for name, _label in LEAD_COLUMNS]),
        errors=form_errors(form),
        title=str(LEAD_TITLES[kind]),
        file_stem=_("leads"),
        queryset=qs,
    )


def _rows(
    qs: QuerySet[Any], columns: Sequence[tuple[tuple[str, ...], Callable[..., Cell] | None]]
) -> Iterator[Sequence[Cell]]:
    """The cells of ``columns`` (fields read, maker or None) for every row of ``qs``."""
    fields: list[str] = []
    # One getter per column: a plain field comes out of a C itemgetter, a made one from its
    # fields through its maker.
    getters: list[Callable[[tuple[Any, ...]], Cell]] = []
    for names, maker in columns:
        start = len(fields) + 1  # 0 is the id
        fields.extend(names)
        if maker is None:
            getters.append(itemgetter(start))
        else:
            getters.append(_made(maker, start, start + len(names)))
    for raw in keyset_rows(qs, fields):
        yield [get(raw) for get in getters]


def _made(maker: Callable[..., Cell], start: int, end: int) -> Callable[[tuple[Any, ...]], Cell]:
    return lambda raw: maker(*raw[start:end])


# --- Opportunities ---------------------------------------------------------------------------


def _reference(number: int) -> str:
    return f"OPP-{number:05d}"  # Opportunity.reference


def _partner(name: str | None, full: str | None) -> str:
    return full or name or ""  # Partner.__str__


def opportunity_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """The opportunity list ``kind`` (all / mine / open / closed) for ``query``: the list's
    columns, amounts as numbers with a currency column after them (a spreadsheet sums
    numbers, not "12 500,00 €").

    Queries: 1 for the company's stages, then 1 per CHUNK rows (partner, stage and owner
    joined)."""
    form = OpportunityFilterForm(query)
    filters = form.filters()
    stages = opportunity_selectors.opportunity_stages(require_actor(user).company)
    qs = opportunity_selectors.filtered_opportunities(
        user=user, kind=kind, filters=filters, stages=stages
    )
    labels = [str(label) for _sort, label in OPPORTUNITY_COLUMNS]
    # The list's columns in its order: reference, name, customer / prospect, amount, weighted,
    # signing, sales stage, owner; then the currency.
    columns: list[tuple[tuple[str, ...], Callable[..., Cell] | None, str]] = [
        (("number",), _reference, Kind.TEXT),
        (("name",), None, Kind.TEXT),
        (("partner__name", "partner__full_name"), _partner, Kind.TEXT),
        (("amount",), None, Kind.DECIMAL),
        (("weighted_amount",), None, Kind.DECIMAL),
        (("expected_close_date",), None, Kind.DATE),
        (("stage__name",), None, Kind.TEXT),
        (
            ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"),
            _owner,
            Kind.TEXT,
        ),
        (("currency",), None, Kind.TEXT),
    ]
    return Export(
        headers=[*labels, _("Currency")],
        kinds=[kind_ for _fields, _maker, kind_ in columns],
        rows=_rows(qs, [(fields, maker) for fields, maker, _kind in columns]),
        errors=form_errors(form),
        title=str(OPPORTUNITY_TITLES[kind]),
        file_stem=_("opportunities"),
        queryset=qs,
    )


def _owner(first: str | None, last: str | None, username: str | None) -> str:
    if username is None:
        return ""
    return f"{first} {last}".strip() or username


# --- Referentials (configuration lists) ------------------------------------------------------


def _referential_column(
    model: Any, name: str
) -> tuple[tuple[str, ...], Callable[..., Cell] | None, str]:
    """The fields read, the maker and the kind of one column of a configuration list, as its
    page shows it: a related row by its name, a yes/no as words, a choice by its label."""
    field = model._meta.get_field(name)
    if field.many_to_one:
        if field.related_model is User:  # a team's leader: as the lists name users
            names = ("first_name", "last_name", "username")
            return (tuple(f"{name}__{n}" for n in names), _owner, Kind.TEXT)
        return ((f"{name}__name",), None, Kind.TEXT)
    internal = field.get_internal_type()
    if internal == "BooleanField":
        yes, no = _("yes"), _("no")
        return ((name,), lambda value: yes if value else no, Kind.TEXT)
    if field.choices:
        labels = {key: str(label) for key, label in field.flatchoices}
        return ((name,), lambda value: labels.get(value, value), Kind.TEXT)
    kinds = {
        "IntegerField": Kind.INT,
        "PositiveIntegerField": Kind.INT,
        "PositiveSmallIntegerField": Kind.INT,
        "SmallIntegerField": Kind.INT,
        "BigIntegerField": Kind.INT,
        "DecimalField": Kind.DECIMAL,
        "DateField": Kind.DATE,
        "DateTimeField": Kind.DATETIME,
    }
    return ((name,), None, kinds.get(internal, Kind.TEXT))


def referential_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """The configuration list of referential ``kind`` (its slug) for the search ``q``: the
    name, then the list's columns. The list's own right is needed (PermissionDenied), and a
    KeyError for a referential the user may not open.

    Queries: 1 per CHUNK rows (related names joined)."""
    actor = require_right(user, Right.MANAGE_CONFIGURATION)
    referential = REFERENTIALS.get(kind)
    if referential is None or not referential.visible(actor):
        raise KeyError(kind)
    model = referential.model
    qs: QuerySet[Any] = in_company(user, model.objects.all())
    key = fold(search_text(query.get("q")))
    if key:
        qs = qs.filter(name_key__contains=key)
    columns: list[tuple[tuple[str, ...], Callable[..., Cell] | None, str]] = [
        (("name",), None, Kind.TEXT),
        *(_referential_column(model, name) for name in referential.columns),
    ]
    # The columns are concrete fields (the page reads their verbose names the same way).
    headers = [_("Name")] + [
        capfirst(str(getattr(model._meta.get_field(name), "verbose_name", name)))
        for name in referential.columns
    ]
    return Export(
        headers=headers,
        kinds=[kind_ for _fields, _maker, kind_ in columns],
        rows=_rows(qs, [(fields, maker) for fields, maker, _kind in columns]),
        errors=[],
        title=capfirst(referential.verbose_name_plural),
        file_stem=str(referential.verbose_name_plural),
        queryset=qs,
    )


# --- Accounts & contacts (the address-book search) --------------------------------------------


class AccountKind:
    """What an export of the accounts search holds: its partners, or its contacts."""

    PARTNERS = "partners"
    CONTACTS = "contacts"
    ALL = (PARTNERS, CONTACTS)


def _name_starts(qs: QuerySet[Any], key: str) -> QuerySet[Any]:
    """The accounts search's match: the name, or a person's name in its other order, starts
    with ``key`` (as piste.partners.selectors._page and the duplicate checks read it). One
    OR here: the export reads every match anyway, in id order."""
    return qs.alias(name_bytes=byte_order("name_key"), alt_bytes=byte_order("alt_key")).filter(
        byte_prefix_q("name_bytes", key) | byte_prefix_q("alt_bytes", key)
    )


def _yes_no() -> Callable[[bool], str]:
    yes, no = _("yes"), _("no")
    return lambda value: yes if value else no


def _kind_labels() -> Callable[..., str]:
    """``Partner.kind_label`` from the flags it reads, worked out once per combination of
    flags (a few dozen at most) rather than once per row."""
    labels: dict[tuple[bool, ...], str] = {}

    def label(*flags: Any) -> str:
        key = tuple(bool(flag) for flag in flags)
        if key not in labels:
            customer, prospect, validated, supplier, partner, internal, factor = key
            labels[key] = Partner(
                is_customer=customer,
                is_prospect=prospect,
                # Only whether it is set counts: a validated prospect.
                prospect_validated_at=datetime.min if validated else None,
                is_supplier=supplier,
                is_partner=partner,
                is_internal=internal,
                is_factor=factor,
            ).kind_label
        return labels[key]

    return label


_KIND_FLAGS = (
    *("is_customer", "is_prospect", "prospect_validated_at", "is_supplier", "is_partner"),
    *("is_internal", "is_factor"),
)


def accounts_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """The « Comptes & contacts » search for ``query`` (``q``: a name's first letters;
    ``kind``: the one kind of result shown), its partners or its contacts (``kind``).

    Without a search the page lists nothing and the export holds every partner or contact
    the user sees, as the page's duplicate checks read it. What the page would refuse to
    search (one letter) or a kind it does not have is refused: the file would silently hold
    more than the page showed.

    Queries: 1 per CHUNK rows (a contact's main partner and job title joined)."""
    q = search_text(query.get("q"))
    key = search_key(q)
    shown = str(query.get("kind", ""))
    errors: list[str] = []
    if q and not key:
        errors.append(_("Search: type at least two letters."))
    if shown and shown not in SearchKind.ALL:
        errors.append(_("Kind: “%(value)s” is not one of the search's kinds.") % {"value": shown})
    elif shown and (shown == SearchKind.CONTACTS) != (kind == AccountKind.CONTACTS):
        errors.append(_("Kind: this search does not show these records."))
    columns: list[tuple[tuple[str, ...], Callable[..., Cell] | None, str]]
    qs: QuerySet[Any]
    if kind == AccountKind.CONTACTS:
        qs = contacts_for_user(user)
        # The columns of a result row (accounts.html#row): the name, the main partner, the
        # job title.
        columns = [
            (("full_name", "last_name"), _partner_or_contact, Kind.TEXT),
            (("main_partner__name", "main_partner__full_name"), _partner, Kind.TEXT),
            (("job_title__name",), None, Kind.TEXT),
        ]
        headers = [_("Name"), _("Partner"), _("Job title")]
        title, stem = _("Contacts"), _("contacts")
    else:
        qs = partners_for_user(user)
        if shown in _KIND_FILTERS:
            qs = qs.filter(_KIND_FILTERS[shown])
        # A result row shows the name, "Draft prospect", the city and "Closed": here the
        # partner's type (draft or validated prospect, customer…), the city, closed or not.
        columns = [
            (("name", "full_name"), _partner, Kind.TEXT),
            (_KIND_FLAGS, _kind_labels(), Kind.TEXT),
            (("city_name",), None, Kind.TEXT),
            (("is_closed",), _yes_no(), Kind.TEXT),
        ]
        headers = [_("Name"), _("Type"), _("City"), _("Closed")]
        title, stem = _("Partners"), _("partners")
    if key:
        qs = _name_starts(qs, key)
    return Export(
        headers=headers,
        kinds=[kind_ for _fields, _maker, kind_ in columns],
        rows=_rows(qs, [(fields, maker) for fields, maker, _kind in columns]),
        errors=errors,
        title=title,
        file_stem=stem,
        queryset=qs,
    )


def _partner_or_contact(full: str | None, last: str | None) -> str:
    return full or last or ""  # Contact.__str__


# --- Prospects (Open prospects, Closed prospects) -------------------------------------------


def prospect_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """Open or Closed prospects (``kind``) for ``query``, with the list's columns. A KeyError
    when the company does not manage statuses on prospects (the list is a 404 then).

    Queries: 1 for the company's users (the owner filter's choices), 1 for its prospect
    statuses, then 1 per CHUNK rows (status, owner and lost reason joined)."""
    actor = require_actor(user)
    if not prospect_selectors.prospect_statuses_enabled(actor.company):
        raise KeyError(kind)
    all_statuses = prospect_selectors.prospect_statuses(actor.company)
    form = ProspectFilterForm(
        query, statuses=all_statuses, users=list(company_users(actor.company.pk))
    )
    filters = form.filters()
    # What prospects_page lists, without its pages: the list's statuses (narrowed by the
    # status filter), its owner filter, its name search.
    qs, groups = _list_queryset(user, kind, filters, all_statuses)
    qs = qs.filter(status_id__in=groups)
    key = search_key(filters.q)
    if key:
        qs = qs.alias(name_bytes=byte_order("name_key"), alt_bytes=byte_order("alt_key")).filter(
            _name_match(key)
        )
    columns: list[tuple[tuple[str, ...], Callable[..., Cell] | None, str]] = [
        (("name", "full_name"), _partner, Kind.TEXT),
        (("status__name",), None, Kind.TEXT),
        (("city_name",), None, Kind.TEXT),
        (
            ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username"),
            _owner,
            Kind.TEXT,
        ),
    ]
    headers = [_("Name"), _("Status"), _("City"), _("Account owner")]
    if kind == prospect_selectors.ListKind.CLOSED:
        columns.append((("lost_reason__name",), None, Kind.TEXT))
        headers.append(_("Lost reason"))
    return Export(
        headers=headers,
        kinds=[kind_ for _fields, _maker, kind_ in columns],
        rows=_rows(qs, [(fields, maker) for fields, maker, _kind in columns]),
        errors=form_errors(form),
        title=str(PROSPECT_TITLES[kind]),
        file_stem=_("prospects"),
        queryset=qs,
    )


# --- My actions (the user's planned tasks) ---------------------------------------------------

# The record a task is about, most specific first (as activities.services.linked_record): the
# fields naming each one (its id, then its __str__'s fields).
_LINKED = (
    ("opportunity_id", "opportunity__name", "opportunity__name"),
    ("contact_id", "contact__full_name", "contact__last_name"),
    ("lead_id", "lead__full_name", "lead__last_name"),
    ("partner_id", "partner__full_name", "partner__name"),
)


def _linked(*values: Any) -> str:
    for at in range(0, len(values), 3):
        if values[at]:
            return values[at + 1] or values[at + 2] or ""
    return ""


def actions_export(*, user: User, kind: str, query: QueryDict) -> Export:
    """ "My actions" for ``query`` (``show=late``: the late ones only): the subject, the due
    date, late or not, the record the task is about.

    Queries: 1 per CHUNK rows (the linked records' names joined)."""
    form = ActionsFilterForm(query)
    qs = activity_selectors.my_actions(user, late_only=form.late_only())
    now = timezone.now()
    yes, no = _("yes"), _("no")
    columns: list[tuple[tuple[str, ...], Callable[..., Cell] | None, str]] = [
        (("subject",), None, Kind.TEXT),
        (("end",), None, Kind.DATETIME),
        # Event.is_late for these rows (planned tasks): past their due date.
        (("end",), lambda end: yes if end < now else no, Kind.TEXT),
        (tuple(name for names in _LINKED for name in names), _linked, Kind.TEXT),
    ]
    return Export(
        headers=[_("Subject"), _("Due date"), _("Late"), _("Linked to")],
        kinds=[kind_ for _fields, _maker, kind_ in columns],
        rows=_rows(qs, [(fields, maker) for fields, maker, _kind in columns]),
        errors=form_errors(form),
        title=_("My actions"),
        file_stem=_("actions"),
        queryset=qs,
    )


# The lists an export job may name, each with its kinds ("" when the list has none).
LISTS: dict[str, tuple[Callable[..., Export], tuple[str, ...]]] = {
    "leads": (lead_export, lead_selectors.ListKind.ALL),
    "opportunities": (opportunity_export, opportunity_selectors.ListKind.KINDS),
    "accounts": (accounts_export, AccountKind.ALL),
    "prospects": (prospect_export, prospect_selectors.ListKind.ALL),
    "actions": (actions_export, ("",)),
}


def list_export(*, user: User, entity: str, kind: str, query: QueryDict) -> Export:
    """The export of one of LISTS (a KeyError for any other)."""
    if entity == "referentials":
        return referential_export(user=user, kind=kind, query=query)
    builder, kinds = LISTS[entity]
    if kind not in kinds:
        raise KeyError(kind)
    return builder(user=user, kind=kind, query=query)


def export_jobs_for_user(user: User) -> QuerySet[ExportJob]:
    """The user's own export jobs in their active company: an export holds what its author
    could see, so nobody else downloads it (404 for them, other companies included)."""
    return in_company(user, ExportJob.objects.filter(user_id=user.pk))
