"""The rules of the warnings while typing (``selectors_warnings``): what the form holds, cleaned
and bounded (``typed_values``), and one function per rule.

Each rule walks one index per table and reads at most ``CAP + 1`` rows of it (the fuzzy name
rules read at most ``NAME_CANDIDATES`` or two ``WINDOW`` candidates, then score them in Python):
a rule finding more than ``CAP`` records says so instead of listing them. A value too short to
mean anything runs no query at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from piste.core.text import fold, search_text
from piste.duplicates.models import Entity
from piste.duplicates.normalise import (
    LEGAL_FORMS,
    SIMILAR_NAME_SCORE,
    email_domain,
    name_score,
    norm_company,
    norm_email,
    norm_phone,
)
from piste.leads.selectors import leads_for_user
from piste.partners.models import PartnerType
from piste.partners.selectors import contacts_for_user, partners_for_user

# Rows a rule reads per table: one more than it lists, to know there are more.
CAP = 10
# Candidates the same-company rule reads per table before scoring them: the people of one
# company (a few dozen at most in real address books).
NAME_CANDIDATES = 200
# The same-city rule reads this many names on each side of the typed one, in each name index
# (rows of any city, kept when in the typed city): near-identical names sit next to it.
WINDOW = 100
# Records listed when a broad rule (names, domain) found more than CAP: its best ones.
PREVIEW = 3
# The same-city rule reads names starting with the typed one's first letters (a typo after
# them still sorts near it).
CITY_PREFIX = 3
# A complete address: something@domain.tld (while it is typed, nothing is looked up).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# Legal forms a company name is also looked up with ("Morel" finds "Morel SARL"): the usual
# ones, so that the indexed IN list stays short.
_LOOKUP_FORMS = ("sarl", "sas", "sa", "eurl", "sasu", "sci", "scop", "snc", "ei")

Row = tuple[Any, ...]
# What a match reads of each table: (id, label, last name or name, first name, company or type,
# city).
COLUMNS: dict[str, tuple[str, ...]] = {
    Entity.LEAD: ("id", "full_name", "last_name", "first_name", "enterprise_name", "city_key"),
    Entity.PARTNER: ("id", "full_name", "name", "first_name", "partner_type", "city_name"),
    Entity.CONTACT: ("id", "full_name", "last_name", "first_name", "main_partner__name"),
}


@dataclass(frozen=True)
class Typed:
    """What the form holds, cleaned and bounded; "" where too short to look up."""

    email: str = ""
    domain: str = ""
    phones: tuple[str, ...] = ()
    siren: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    city_key: str = ""
    # A partner of type organisation is being typed: its name is a company's.
    organisation: bool = False

    @property
    def person(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _text(values: Mapping[str, str], name: str, max_length: int = 200) -> str:
    """A parameter without control characters (a NUL breaks PostgreSQL), single-spaced, cut."""
    value = values.get(name)
    return search_text(value if isinstance(value, str) else "", max_length)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def typed_values(entity: str, values: Mapping[str, str]) -> Typed:
    """``values``: the form's fields by name (a partner's ``name`` and ``partner_type``), plus
    ``city`` (its address's) and, for a contact, its company as ``enterprise_name``."""
    email = norm_email(_text(values, "email", 254))
    if not _EMAIL.match(email):
        email = ""
    phones: list[str] = []
    for name in ("fixed_phone", "mobile_phone"):
        phone = norm_phone(_text(values, name, 40))
        # Stored phones are E.164: what does not parse into one (still being typed) finds none.
        if phone.startswith("+") and len(phone) >= 8 and phone not in phones:
            phones.append(phone)
    siren = _digits(_text(values, "siren", 20))
    if len(siren) != 9:
        siret = _digits(_text(values, "siret", 30)) if entity == Entity.PARTNER else ""
        siren = siret[:9] if len(siret) >= 9 else ""
    first, last = _text(values, "first_name", 100), _text(values, "last_name", 100)
    company = _text(values, "enterprise_name")
    organisation = False
    if entity == Entity.PARTNER:
        if _text(values, "partner_type", 20) == PartnerType.INDIVIDUAL:
            last, company = _text(values, "name"), ""
        else:
            first, last, company, organisation = "", "", _text(values, "name"), True
    if len(fold(last)) < 2:
        first = last = ""
    city_key = fold(_text(values, "city"))[:200]
    return Typed(
        email=email,
        domain=email_domain(email),
        phones=tuple(phones),
        siren=siren,
        first_name=first,
        last_name=last,
        company=company if len(norm_company(company)) >= 2 else "",
        city_key=city_key if len(city_key) >= 2 else "",
        organisation=organisation and len(norm_company(company)) >= 2,
    )


def company_keys(company: str) -> list[str]:
    """The folded names (``Lead.enterprise_key``, a partner's ``name_key``: ``fold`` of the name
    as typed) that mean the same company: as typed, without its legal form, and with each usual
    legal form after it."""
    typed = fold(company)[:200]
    core = " ".join(w for w in typed.replace(".", "").split(" ") if w not in LEGAL_FORMS)
    if not core:
        return [typed]
    return list(dict.fromkeys([typed, core, *(f"{core} {form}"[:200] for form in _LOOKUP_FORMS)]))


def _after(prefix: str) -> str | None:
    """The first string after every string starting with ``prefix`` in code point order."""
    following = ord(prefix[-1]) + 1
    if following > 0x10FFFF:
        return None
    if 0xD800 <= following <= 0xDFFF:  # no surrogate in stored text (nor in a valid query)
        following = 0xE000
    return prefix[:-1] + chr(following)


@dataclass
class Hit:
    entity: str
    row: Row
    score: int | None = None


@dataclass
class Found:
    """What one rule found: its hits (best first), whether there were more than CAP, the reason
    each hit is shown for, the line shown instead when too many, and how many are then listed."""

    hits: list[Hit]
    too_many: bool
    reason: Callable[[Hit], str]
    summary: str
    preview: int = 0


# A rule once its reads are planned: what makes its Found after Tables.run filled them.
Pending = Callable[[], Found]


@dataclass
class Read:
    """At most ``limit`` rows of one table, in ``order`` (only an index's: a LIMIT under another
    order could walk the whole table); ``hits`` filled by ``Tables.run``."""

    entity: str
    condition: Q
    limit: int
    order: tuple[str, ...] = ()
    hits: list[Hit] = field(default_factory=list)


class Tables:
    """The three access-filtered tables (merged records already out), the edited record left out
    of its own (and the records it was converted from or into), and the reads the rules plan
    on them."""

    def __init__(self, user: Any, company_id: int, entity: str, exclude_id: int | None) -> None:
        self.company_id = company_id
        self.qs: dict[str, QuerySet[Any]] = {
            Entity.LEAD: leads_for_user(user),
            Entity.PARTNER: partners_for_user(user),
            Entity.CONTACT: contacts_for_user(user),
        }
        if exclude_id is not None:
            self.qs[entity] = self.qs[entity].exclude(pk=exclude_id)
            # A converted lead and the partner and contact it became are one record, not
            # duplicates: each leaves the others out.
            if entity == Entity.LEAD:
                for other in (Entity.PARTNER, Entity.CONTACT):
                    self.qs[other] = self.qs[other].exclude(converted_leads=exclude_id)
            else:
                link = "partner_id" if entity == Entity.PARTNER else "contact_id"
                self.qs[Entity.LEAD] = self.qs[Entity.LEAD].exclude(**{link: exclude_id})
        self.reads: list[Read] = []

    def want(
        self, entity: str, condition: Q, limit: int = CAP + 1, order: tuple[str, ...] = ()
    ) -> Read:
        read = Read(entity, condition, limit, order)
        self.reads.append(read)
        return read

    def run(self) -> None:
        """One query per table: its reads, each an ORM query with its own LIMIT, as a UNION ALL
        of subqueries (each keeps its index walk), each row tagged with its read's number.
        Twenty round trips cost more than the index walks themselves."""
        for entity, qs in self.qs.items():
            parts: list[str] = []
            params: list[Any] = []
            for number, read in enumerate(self.reads):
                if read.entity != entity:
                    continue
                rows = qs.filter(read.condition).order_by(*read.order).values_list(*COLUMNS[entity])
                try:
                    sql, values = rows[: read.limit].query.sql_with_params()
                except EmptyResultSet:
                    continue
                # The ORM's SQL (its values as parameters) and an int: nothing typed goes in.
                part = f"SELECT {number} AS read_number, r{number}.* FROM ({sql}) r{number}"  # noqa: S608
                parts.append(part)
                params.extend(values)
            if not parts:
                continue
            with connections[qs.db].cursor() as cursor:
                cursor.execute(" UNION ALL ".join(parts), params)
                for number, *row in cursor.fetchall():
                    self.reads[number].hits.append(Hit(entity, tuple(row)))


def _summary(singular: str, plural: str, **values: Any) -> str:
    return ngettext(singular, plural, CAP) % {"count": f"{CAP}+", **values}


def _exact(
    tables: Tables,
    conditions: Mapping[str, Q],
    reason: Callable[[Hit], str],
    summary: str,
    preview: int = 0,
) -> Pending:
    """CAP + 1 rows of each table; too many when one table had more than CAP, or all."""
    reads = [tables.want(entity, condition) for entity, condition in conditions.items()]

    def found() -> Found:
        # Newest first (the preview of a busy domain): a UNION keeps no order.
        hits = sorted((hit for read in reads for hit in read.hits), key=lambda hit: -hit.row[0])
        too_many = any(len(read.hits) > CAP for read in reads) or len(hits) > CAP
        return Found(hits, too_many, reason, summary, preview)

    return found


# Exact rules ---------------------------------------------------------------------------------


def rule_email(tables: Tables, typed: Typed) -> Pending | None:
    """Same address (in lower case) on any table: the (company, email_key) indexes."""
    if not typed.email:
        return None
    return _exact(
        tables,
        dict.fromkeys(Entity.values, Q(email_key=typed.email)),
        lambda hit: _("same email"),
        _summary(
            "%(count)s record shares this email address",
            "%(count)s records share this email address",
        ),
    )


def rule_phone(tables: Tables, typed: Typed) -> Pending | None:
    """Either typed phone (E.164) as either phone of any table: the (company, fixed_phone) and
    (company, mobile_phone) indexes, OR-ed (a BitmapOr on PostgreSQL)."""
    if not typed.phones:
        return None
    phones = list(typed.phones)
    return _exact(
        tables,
        dict.fromkeys(Entity.values, Q(fixed_phone__in=phones) | Q(mobile_phone__in=phones)),
        lambda hit: _("same phone"),
        _summary(
            "%(count)s record shares this phone number",
            "%(count)s records share this phone number",
        ),
    )


def rule_siren(tables: Tables, typed: Typed) -> Pending | None:
    """Same SIREN on a lead or a partner (contacts have none): the (company, siren) indexes."""
    if not typed.siren:
        return None
    condition = Q(siren=typed.siren)
    return _exact(
        tables,
        {Entity.LEAD: condition, Entity.PARTNER: condition},
        lambda hit: _("same SIREN"),
        _summary("%(count)s record shares this SIREN", "%(count)s records share this SIREN"),
    )


def rule_domain(tables: Tables, typed: Typed, ignored: frozenset[str]) -> Pending | None:
    """Other addresses at the typed one's domain, unless a public one (gmail.com…): the
    (company, email_domain) indexes. Often many: the summary and the first few read."""
    if not typed.domain or typed.domain in ignored:
        return None
    return _exact(
        tables,
        dict.fromkeys(Entity.values, Q(email_domain=typed.domain) & ~Q(email_key=typed.email)),
        lambda hit: _("same email domain"),
        _summary(
            "%(count)s record at %(domain)s", "%(count)s records at %(domain)s", domain=typed.domain
        ),
        PREVIEW,
    )


# Name rules ----------------------------------------------------------------------------------


def _person_score(typed: Typed, hit: Hit) -> int:
    """Full names when a first name was typed, else the last names alone."""
    if hit.entity == Entity.PARTNER and hit.row[4] != PartnerType.INDIVIDUAL:
        return 0
    last, first = hit.row[2] or "", hit.row[3] or ""
    if typed.first_name:
        return name_score(typed.person, f"{first} {last}")
    return name_score(typed.last_name, last)


def _company_score(typed: Typed, hit: Hit) -> int:
    """Company names without their legal forms ("Morel" = "Morel SARL")."""
    if hit.entity == Entity.PARTNER:
        if hit.row[4] != PartnerType.ORGANISATION:
            return 0
        name = hit.row[2]
    else:
        name = hit.row[4]
    return name_score(norm_company(typed.company), norm_company(name))


def _scored(
    reads: Iterable[Read],
    score: Callable[[Hit], int],
    reason: str,
    summary: str,
    keep: Callable[[Hit], bool] = lambda hit: True,
) -> Pending:
    """The hits of ``reads`` kept and scoring at least SIMILAR_NAME_SCORE, best first."""

    def found() -> Found:
        hits = []
        for hit in (hit for read in reads for hit in read.hits if keep(hit)):
            hit.score = score(hit)
            if hit.score >= SIMILAR_NAME_SCORE:
                hits.append(hit)
        hits.sort(key=lambda hit: -(hit.score or 0))
        return Found(
            hits, len(hits) > CAP, lambda hit: reason % {"score": hit.score}, summary, PREVIEW
        )

    return found


def rule_same_company(tables: Tables, typed: Typed) -> Pending | None:
    """A person with a similar name at the same company: leads by enterprise_key, contacts by
    their main partner's name_key (indexed equalities on the company's keys), scored here."""
    if not (typed.company and typed.last_name):
        return None
    keys = company_keys(typed.company)
    # The partners' company condition lets PostgreSQL start from their (company, name_key) index.
    of_partners = Q(main_partner__company_id=tables.company_id, main_partner__name_key__in=keys)
    reads = [
        tables.want(Entity.LEAD, Q(enterprise_key__in=keys), NAME_CANDIDATES),
        tables.want(Entity.CONTACT, of_partners, NAME_CANDIDATES),
    ]
    return _scored(
        reads,
        lambda hit: _person_score(typed, hit),
        _("similar name (%(score)s %%) at the same company"),
        _summary(
            "%(count)s record has a similar name at the same company",
            "%(count)s records have a similar name at the same company",
        ),
    )


def rule_company_name(tables: Tables, entity: str, typed: Typed) -> Pending | None:
    """The typed company already in the book: partners of that name (for a lead or a partner),
    and leads at that company (for a partner). A contact's company is its own partner."""
    if not typed.company or entity == Entity.CONTACT:
        return None
    keys = company_keys(typed.company)
    reads = [tables.want(Entity.PARTNER, Q(name_key__in=keys))]
    if typed.organisation:
        reads.append(tables.want(Entity.LEAD, Q(enterprise_key__in=keys)))
    scored = _scored(
        reads,
        lambda hit: _company_score(typed, hit),
        _("similar company name (%(score)s %%)"),
        _summary(
            "%(count)s record has a similar company name",
            "%(count)s records have a similar company name",
        ),
    )

    def found() -> Found:
        result = scored()
        # Each table read CAP + 1 rows at most: a full one means more.
        result.too_many = result.too_many or any(len(read.hits) > CAP for read in reads)
        return result

    return found


def _window(
    tables: Tables, entity: str, column: str, key: str, city: Q | None = None
) -> list[Read]:
    """The WINDOW rows on each side of ``key`` in ``column``'s (company, column, id) index,
    among those starting with its first CITY_PREFIX letters; with ``city``, in the (company,
    city_key, column, id) index: the rows of that city only."""
    prefix = key[:CITY_PREFIX]
    after = _after(prefix)
    within = Q(**{f"{column}__gte": prefix}) & (city or Q())
    if after is not None:
        within &= Q(**{f"{column}__lt": after})
    return [
        tables.want(entity, within & Q(**{f"{column}__gte": key}), WINDOW, (column, "id")),
        tables.want(entity, within & Q(**{f"{column}__lt": key}), WINDOW, (f"-{column}", "-id")),
    ]


def rule_same_city(tables: Tables, typed: Typed) -> Pending | None:
    """A similar name in the same city: the leads and partners named next to the typed name in
    their name indexes (``_window``), kept when in the typed city, scored here. Contacts have no
    city column: their addresses are not looked up."""
    if not typed.city_key or not (typed.last_name or typed.organisation):
        return None
    if typed.organisation:
        key, lead_column = fold(typed.company)[:200], "enterprise_key"
        score, reason = _company_score, _("similar company name (%(score)s %%) in the same city")
    else:
        key, lead_column = fold(f"{typed.last_name} {typed.first_name}")[:201], "name_key"
        score, reason = _person_score, _("similar name (%(score)s %%) in the same city")
    if len(key) < 2:
        return None
    # Leads have a folded city and indexes per city (lead_city_name_idx and
    # lead_city_enterprise_idx): their windows stay in the typed city, so a typo in a common name
    # of a big city is still found. Partners keep the name-index window, filtered afterwards.
    reads = _window(tables, Entity.LEAD, lead_column, key, Q(city_key=typed.city_key))
    reads += _window(tables, Entity.PARTNER, "name_key", key)
    return _scored(
        reads,
        lambda hit: score(typed, hit),
        reason,
        _summary(
            "%(count)s record has a similar name in the same city",
            "%(count)s records have a similar name in the same city",
        ),
        keep=lambda hit: fold(hit.row[5]) == typed.city_key,
    )
