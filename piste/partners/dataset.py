"""Generated partners and contacts for ``manage.py generate_dataset --entity partners``.

Rows for the bench company, in the same sales world as the generated leads (the `bench` users,
their teams, the lead sources) and from the same French names, companies, cities and phones.
Each row's derived columns (``full_name``, ``name_key``, ``alt_key``, ``city_name``,
``partner_closed``) are what ``piste.partners.services`` computes (a test recomputes them); the
city is set on ``city_name`` only (no Address rows: editing such a partner drops its city).

Partners come oldest first over LEAD_YEARS years, so ids and creation times grow together; the
contacts follow their partner (each contact's partner is drawn at random, then the draws are
sorted), a few days after it.
"""

from __future__ import annotations

import functools
import random
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from piste.core.contact import email_key
from piste.core.management.commands.generate_dataset import (
    ACTIVITIES,
    CITIES,
    FEMALE,
    FIXED_PREFIXES,
    LAST_NAMES,
    LEAD_YEARS,
    LEGAL_FORMS,
    MAIL_DOMAINS,
    MALE,
    MOBILE_PREFIXES,
    SEED,
    TRADES,
    UNASSIGNED_SHARE,
    Row,
    SalesWorld,
    _fold,
    _named,
    _phone,
    _slug,
)
from piste.core.models import Activity
from piste.core.people import CompanySize
from piste.partners.identifiers import vat_from_siren
from piste.partners.models import (
    Contact,
    Department,
    IndustrySector,
    JobTitle,
    Partner,
    PartnerCategory,
    PartnerType,
)
from piste.partners.services import DRAFT, VALIDATED, organisation_alt_key
from piste.users.models import Company

# Shares of the generated partners (the rest of the types are partner, internal or factor).
INDIVIDUAL_SHARE = 0.15
PROSPECT_SHARE = 0.55
CUSTOMER_SHARE = 0.25
SUPPLIER_SHARE = 0.12
CLOSED_SHARE = 0.04
# Partners and contacts carrying tags (one to three of the company's first tags).
PARTNER_TAGGED_SHARE = 0.3
CONTACT_TAGGED_SHARE = 0.1
# Contacts are created within this many days after their partner.
CONTACT_DELAY_DAYS = 30

INDUSTRY_SECTORS = (
    "Commerce", "Industrie", "Bâtiment et travaux publics", "Transport et logistique", "Santé",
    "Services aux entreprises", "Hôtellerie et restauration", "Informatique et télécoms",
    "Agroalimentaire", "Banque et assurance", "Administration publique", "Enseignement",
)  # fmt: skip
PARTNER_CATEGORIES = (
    ("PME", "PME"), ("Grand compte", "GC"), ("Association", "ASSO"),
    ("Collectivité", "COLL"), ("Start-up", "START"), ("Profession libérale", "LIB"),
)  # fmt: skip
JOB_TITLES = (
    "Gérant", "Directeur général", "Directrice générale", "Directeur administratif et financier",
    "Responsable achats", "Acheteur", "Comptable", "Assistante de direction", "DSI",
    "Responsable commercial", "Chef de projet", "Responsable logistique", "Office manager",
    "Directeur technique", "Responsable qualité", "Juriste", "Responsable RH", "Secrétaire",
)  # fmt: skip
DEPARTMENTS = (
    ("Direction", "DIR"), ("Achats", "ACH"), ("Comptabilité", "COMPTA"), ("Commercial", "COM"),
    ("Informatique", "IT"), ("Logistique", "LOG"), ("Ressources humaines", "RH"),
    ("Production", "PROD"),
)  # fmt: skip
APE_CODES = (
    "10.71C", "43.21A", "45.20A", "46.90Z", "47.11B", "49.41A", "56.10A", "62.01Z", "68.20B",
    "69.20Z", "70.22Z", "71.12B", "86.10Z", "96.02A",
)  # fmt: skip
CLOSING_REASONS = (
    "Cessation d'activité", "Rachat par un concurrent", "Liquidation judiciaire", "Doublon",
    "",
)  # fmt: skip
ORGANISATION_MAILBOXES = ("contact", "accueil", "info", "commercial", "direction")


@dataclass
class AccountsWorld:
    """The sales world of the generated leads, and the address book's referentials."""

    sales: SalesWorld
    sector_ids: list[int]
    category_ids: list[int]
    job_title_ids: list[int]
    department_ids: list[int]


def accounts_world(company: Company, sales: SalesWorld) -> AccountsWorld:
    """The referentials generated partners and contacts point at, created when missing."""
    with transaction.atomic():
        sectors = [_named(IndustrySector, company, n) for n in INDUSTRY_SECTORS]
        categories = [_named(PartnerCategory, company, n, code=c) for n, c in PARTNER_CATEGORIES]
        titles = [_named(JobTitle, company, n) for n in JOB_TITLES]
        departments = [_named(Department, company, n, code=c) for n, c in DEPARTMENTS]
    return AccountsWorld(
        sales=sales,
        sector_ids=[s.pk for s in sectors],
        category_ids=[c.pk for c in categories],
        job_title_ids=[t.pk for t in titles],
        department_ids=[d.pk for d in departments],
    )


@dataclass
class PartnerFacts:
    """What the contacts take from their partner, by the partner's position (compact arrays:
    a million partners)."""

    owner: array[int] = field(default_factory=lambda: array("q"))  # 0: unassigned
    team: array[int] = field(default_factory=lambda: array("q"))  # 0: none
    closed: bytearray = field(default_factory=bytearray)
    created: array[float] = field(default_factory=lambda: array("d"))  # POSIX seconds
    # The mail domain of each organisation ("" for an individual); few distinct strings.
    domain: list[str] = field(default_factory=list)

    def organisations(self) -> list[int]:
        return [i for i, d in enumerate(self.domain) if d]


@functools.cache
def _domain(enterprise: str) -> str:
    return f"{_slug(enterprise)}.fr"


def _siren(rng: random.Random) -> str:
    """A made-up SIREN passing the Luhn check, as real ones do."""
    body = f"{rng.randrange(10_000_000, 100_000_000):08d}"
    return body + luhn.calc_check_digit(body)


def _siret(rng: random.Random, siren: str) -> str:
    body = f"{siren}{rng.randrange(1, 1000):04d}"
    return body + luhn.calc_check_digit(body)


def _base(model: type[Partner] | type[Contact]) -> Row:
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and not f.auto_created
    }


def _types(rng: random.Random) -> dict[str, bool]:
    r = rng.random()
    flags = dict.fromkeys(
        ("is_prospect", "is_customer", "is_supplier", "is_partner", "is_internal", "is_factor"),
        False,
    )
    if r < PROSPECT_SHARE:
        flags["is_prospect"] = True
    elif r < PROSPECT_SHARE + CUSTOMER_SHARE:
        flags["is_customer"] = True
        flags["is_supplier"] = rng.random() < 0.05
    elif r < PROSPECT_SHARE + CUSTOMER_SHARE + SUPPLIER_SHARE:
        flags["is_supplier"] = True
    else:
        flags[rng.choices(("is_partner", "is_internal", "is_factor"), (6, 1, 1))[0]] = True
    return flags


def partner_rows(world: AccountsWorld, count: int, facts: PartnerFacts) -> Iterator[Row]:
    """``count`` French-looking partners; ``facts`` gets what their contacts need, by
    position."""
    rng = random.Random(SEED + 7)  # noqa: S311 (fake data, not secrets)
    sales = world.sales
    now = timezone.now()
    start = now - timedelta(days=365 * LEAD_YEARS)
    step = (now - start) / max(count, 1)
    base = _base(Partner)
    assignees = sales.assignee_ids
    sizes = [c.value for c in CompanySize]
    for i in range(count):
        created = start + step * (i + rng.random())
        assigned = None if rng.random() < UNASSIGNED_SHARE else assignees[i % len(assignees)]
        team = (
            sales.team_of[assigned]
            if assigned is not None
            else (rng.choice(sales.team_ids) if rng.random() < 0.5 else None)
        )
        flags = _types(rng)
        closed = rng.random() < CLOSED_SHARE
        individual = rng.random() < INDIVIDUAL_SHARE
        row: Row = {
            **base,
            "company_id": sales.company_id,
            **flags,
            "assigned_to_id": assigned,
            "team_id": team,
            "created_by_id": assigned or sales.admin_id,
            "created_at": created,
            "updated_at": created,
            "scoring": rng.choices(range(6), weights=(30, 20, 20, 15, 10, 5))[0],
            "is_key_account": rng.random() < 0.05,
            "is_nurturing": rng.random() < 0.08,
            "do_not_call": rng.random() < 0.03,
            "do_not_email": rng.random() < 0.05,
            "source_id": rng.choice(sales.source_ids) if rng.random() < 0.5 else None,
            "city_name": rng.choice(CITIES) if rng.random() < 0.9 else "",
            "version": 1,
        }
        if flags["is_prospect"] and rng.random() < 0.5:
            row["prospect_validated_at"] = created + (now - created) * rng.random() * 0.2
            row["prospect_validated_by_id"] = (
                sales.admin_id if rng.random() < 0.5 else (assigned or sales.admin_id)
            )
        if closed:
            row["is_closed"] = True
            row["closed_on"] = timezone.localdate(created + (now - created) * rng.random())
            row["closed_reason"] = rng.choice(CLOSING_REASONS)
        if rng.random() < 0.6:
            row["fixed_phone"] = _phone(rng, FIXED_PREFIXES)[0]
        if individual:
            domain = ""
            _individual(rng, row)
        else:
            domain = _organisation(rng, world, row, sizes)
        facts.owner.append(assigned or 0)
        facts.team.append(team or 0)
        facts.closed.append(closed)
        facts.created.append(created.timestamp())
        facts.domain.append(domain)
        row["email_key"], row["email_domain"] = email_key(row["email"])
        yield row


def _individual(rng: random.Random, row: Row) -> None:
    """A person (« particulier »): first name and name, a personal mailbox, a mobile phone."""
    female = rng.random() < 0.5
    first = rng.choice(FEMALE if female else MALE)
    last = rng.choice(LAST_NAMES)
    row.update(
        {
            "partner_type": PartnerType.INDIVIDUAL.value,
            "civility": ("ms" if female else "mr") if rng.random() < 0.95 else "",
            "first_name": first,
            "name": last,
            "full_name": f"{first} {last}",
            "name_key": _fold(f"{last} {first}")[:320],
            "alt_key": _fold(f"{first} {last}")[:320],
        }
    )
    if rng.random() < 0.8:
        row["mobile_phone"] = _phone(rng, MOBILE_PREFIXES)[0]
    if rng.random() < 0.7:
        row["email"] = f"{_slug(first)}.{_slug(last)}@{rng.choice(MAIL_DOMAINS)}"


def _organisation(rng: random.Random, world: AccountsWorld, row: Row, sizes: Sequence[int]) -> str:
    """A company: trade and family name (« Menuiserie Roux ») or family name and activity
    (« Roux Conseil SARL »), its domain, identifiers for most. Returns the mail domain."""
    if rng.random() < 0.5:
        enterprise = f"{rng.choice(TRADES)} {rng.choice(LAST_NAMES)}"
    else:
        enterprise = f"{rng.choice(LAST_NAMES)} {rng.choice(ACTIVITIES)}"
    legal = rng.choice(LEGAL_FORMS)
    name = f"{enterprise} {legal}" if legal else enterprise
    name_key = _fold(name)[:320]
    domain = _domain(enterprise)
    row.update(
        {
            "partner_type": PartnerType.ORGANISATION.value,
            "name": name,
            "full_name": name,
            "name_key": name_key,
            "alt_key": organisation_alt_key(name_key),
            "industry_sector_id": rng.choice(world.sector_ids) if rng.random() < 0.7 else None,
            "category_id": rng.choice(world.category_ids) if rng.random() < 0.3 else None,
            "size": rng.choice(sizes) if rng.random() < 0.6 else None,
        }
    )
    if rng.random() < 0.6:
        siren = _siren(rng)
        row["siren"] = siren
        row["ape_code"] = rng.choice(APE_CODES)
        if rng.random() < 0.8:
            row["siret"] = _siret(rng, siren)
        if rng.random() < 0.5:
            row["vat_number"] = vat_from_siren(siren)
    if rng.random() < 0.2:
        row["mobile_phone"] = _phone(rng, MOBILE_PREFIXES)[0]
    if rng.random() < 0.8:
        row["email"] = f"{rng.choice(ORGANISATION_MAILBOXES)}@{domain}"
    if rng.random() < 0.5:
        row["website"] = f"https://www.{domain}"
    return domain


def contact_partners(facts: PartnerFacts, count: int) -> list[int]:
    """The positions of ``count`` contacts' partners: organisations drawn at random (every
    partner when there is no organisation), sorted so the contacts follow their partners."""
    rng = random.Random(SEED + 8)  # noqa: S311 (fake data, not secrets)
    pool = facts.organisations() or list(range(len(facts.domain)))
    if not pool:
        return []
    return sorted(pool[rng.randrange(len(pool))] for _ in range(count))


def contact_rows(
    world: AccountsWorld, partner_ids: Sequence[int], facts: PartnerFacts, positions: list[int]
) -> Iterator[Row]:
    """One contact per partner position in ``positions``: the partner's owner and team, its
    closed flag copied, a mailbox at its domain."""
    rng = random.Random(SEED + 9)  # noqa: S311 (fake data, not secrets)
    sales = world.sales
    now = timezone.now().timestamp()
    tz = timezone.get_current_timezone()
    base = _base(Contact)
    for position in positions:
        female = rng.random() < 0.5
        first = rng.choice(FEMALE if female else MALE)
        last = rng.choice(LAST_NAMES)
        owner = facts.owner[position] or None
        since = facts.created[position]
        created = since + min(now - since, CONTACT_DELAY_DAYS * 86400.0) * rng.random()
        domain = facts.domain[position] or rng.choice(MAIL_DOMAINS)
        created_at = datetime.fromtimestamp(created, tz)
        row = {
            **base,
            "company_id": sales.company_id,
            "civility": ("ms" if female else "mr") if rng.random() < 0.9 else "",
            "first_name": first,
            "last_name": last,
            "main_partner_id": partner_ids[position],
            "job_title_id": rng.choice(world.job_title_ids) if rng.random() < 0.8 else None,
            "department_id": rng.choice(world.department_ids) if rng.random() < 0.6 else None,
            "fixed_phone": _phone(rng, FIXED_PREFIXES)[0] if rng.random() < 0.5 else "",
            "mobile_phone": _phone(rng, MOBILE_PREFIXES)[0] if rng.random() < 0.6 else "",
            "email": f"{_slug(first)}.{_slug(last)}@{domain}" if rng.random() < 0.85 else "",
            "do_not_call": rng.random() < 0.03,
            "do_not_email": rng.random() < 0.05,
            "assigned_to_id": owner,
            "team_id": facts.team[position] or None,
            "created_by_id": owner or sales.admin_id,
            "created_at": created_at,
            "updated_at": created_at,
            # The derived columns, as _refresh_contact computes them.
            "partner_closed": bool(facts.closed[position]),
            "full_name": f"{first} {last}",
            "name_key": _fold(f"{last} {first}")[:201],
            "alt_key": _fold(f"{first} {last}")[:201],
            "version": 1,
        }
        row["email_key"], row["email_domain"] = email_key(row["email"])
        yield row


def tag_link_rows(
    column: str, ids: Sequence[int], tag_ids: Sequence[int], share: float, seed: int
) -> Iterator[Row]:
    """``share`` of the rows get one to three tags; the first tags are the most used."""
    rng = random.Random(SEED + seed)  # noqa: S311 (fake data, not secrets)
    weights = [1 / (rank + 1) for rank in range(len(tag_ids))]
    for pk in ids:
        if rng.random() >= share:
            continue
        for tag_id in set(rng.choices(tag_ids, weights=weights, k=rng.randint(1, 3))):
            yield {column: pk, "tag_id": tag_id}


def timeline_rows(
    sales: SalesWorld,
    content_type_id: int,
    timelines: Sequence[tuple[int, datetime]],
    length: int,
    *,
    partners: bool,
) -> Iterator[Row]:
    """``length`` timeline lines per record: created, then assignments, changes and notes (a
    partner's also its prospect validation)."""
    rng = random.Random(SEED + (10 if partners else 11))  # noqa: S311 (fake data, not secrets)
    people = list(sales.user_names.values())
    for object_id, created in timelines:
        for n in range(length):
            kind = n % 5
            data: dict[str, Any]
            if n == 0:
                verb, data = Activity.Verb.CREATED.value, {}
            elif kind == 1:
                before, after = rng.sample(people, 2)
                verb = Activity.Verb.ASSIGNED.value
                data = {"changes": [{"field": "assigned_to", "from": before, "to": after}]}
            elif kind == 2 and partners:
                verb = Activity.Verb.STATUS_CHANGED.value
                change = {"field": "is_prospect", "from": DRAFT, "to": VALIDATED}
                data = {"changes": [change]}
            elif kind in (2, 3):
                field_name = "scoring" if partners else "do_not_call"
                values = (n % 5, (n + 1) % 5) if partners else (False, True)
                verb = Activity.Verb.CHANGED.value
                data = {"changes": [{"field": field_name, "from": values[0], "to": values[1]}]}
            else:
                verb, data = Activity.Verb.NOTE.value, {"message": f"Appel de suivi n° {n}"}
            yield {
                "company_id": sales.company_id,
                "content_type_id": content_type_id,
                "object_id": object_id,
                "verb": verb,
                "actor_id": sales.admin_id,
                "data": data,
                "created_at": created + timedelta(hours=n),
            }
