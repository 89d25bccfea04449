"""`manage.py generate_dataset`: a large dataset in one bench company, for `make bench`.

On PostgreSQL rows go in through COPY (psycopg 3 ``cursor.copy()``), then the tables are
vacuumed and analysed so the planner and the visibility map see the new rows; elsewhere
(SQLite) batched INSERTs do the same, slower. Only the bench company's rows are
ever written or deleted: the database may hold other companies.
"""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone

from piste.activities.models import Event, EventAttendee
from piste.core.models import Activity, NamedReferential, Tag
from piste.core.referentials import REGISTRY
from piste.core.rights import Role
from piste.core.text import fold
from piste.geo.models import Address
from piste.leads.models import CompanySize, Lead, LeadSource, LeadStatus, LostReason
from piste.leads.selectors import lead_statuses
from piste.opportunities.models import Opportunity, OpportunityStage, StageTotal
from piste.orders.models import SaleOrder
from piste.partners.models import Contact, Partner
from piste.users.models import Company, CrmSettings, Membership, Team, User
from piste.users.services import install_defaults
from piste.webforms.models import WebFormSubmission

BENCH_USERNAME = "bench"
BATCH_SIZE = 5000
COLORS = ("#dc3545", "#fd7e14", "#ffc107", "#198754", "#20c997", "#0d6efd", "#6f42c1", "#6c757d")
# Timeline shape: 1 activity in HOT_EVERY goes to the first tag (one very deep timeline),
# 1 in WARM_EVERY to one of the next WARM_TAGS tags, the rest spread over every tag.
HOT_EVERY = 20
WARM_EVERY = 5
WARM_TAGS = 99
SEED = 20260101


def _entities() -> list[str]:
    return [
        "all",
        "tags",
        "activities",
        "leads",
        "partners",
        "opportunities",
        *sorted(s for s in REGISTRY if s != "tags"),
    ]


class Command(BaseCommand):
    help = (
        "Generate a benchmark dataset (tags, timeline activities, referentials, leads, partners, "
        "contacts and opportunities) fast."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=1000, help="Rows per entity.")
        parser.add_argument("--tags", type=int, help="Tags to create (default: --size).")
        parser.add_argument(
            "--activities", type=int, help="Timeline activities to create (default: --size)."
        )
        parser.add_argument(
            "--leads", type=int, help="Leads to create with --entity leads (default: --size)."
        )
        parser.add_argument(
            "--partners",
            type=int,
            help="Partners to create with --entity partners (default: --size).",
        )
        parser.add_argument(
            "--contacts",
            type=int,
            help="Contacts to create with --entity partners (default: --size).",
        )
        parser.add_argument(
            "--opportunities",
            type=int,
            help="Opportunities to create with --entity opportunities (default: --size).",
        )
        parser.add_argument(
            "--entity",
            default="all",
            help="all (tags and activities), tags, activities, leads (with their sales users, "
            "teams, sources and lost reasons; tags them with existing tags), partners (partners "
            "and their contacts, in the leads' sales world; tagged with existing tags), "
            "opportunities (with the existing partners; then the kanban's running totals), or a "
            "configuration list slug (industry-sectors, job-titles…).",
        )
        parser.add_argument("--company-name", default="Bench SA")
        parser.add_argument(
            "--password", default="bench-pass", help="Password of the `bench` administrator."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the bench company's rows of the generated entities first.",
        )

    @no_translations  # English output and row names, whatever LANGUAGE_CODE says
    def handle(self, *args: Any, **options: Any) -> None:
        entity = options["entity"]
        if entity not in _entities():
            raise CommandError(
                f"Unknown entity {entity!r}: choose one of {', '.join(_entities())}."
            )
        size = options["size"]
        n_tags = options["tags"] if options["tags"] is not None else size
        n_activities = options["activities"] if options["activities"] is not None else size
        n_leads = options["leads"] if options["leads"] is not None else size
        n_partners = options["partners"] if options["partners"] is not None else size
        n_contacts = options["contacts"] if options["contacts"] is not None else size
        n_opportunities = options["opportunities"] if options["opportunities"] is not None else size
        if min(size, n_tags, n_activities, n_leads, n_partners, n_contacts, n_opportunities) < 0:
            raise CommandError("Sizes cannot be negative.")
        if entity == "partners" and n_contacts and not n_partners:
            raise CommandError("Contacts need partners: add --partners with at least 1.")
        if entity == "opportunities" and n_opportunities:
            # Checked before anything is written: opportunities take the bench partners.
            bench = Company.objects.filter(name_key=fold(options["company_name"])).first()
            if bench is None or not Partner.objects.filter(company=bench).exists():
                raise CommandError(
                    f"{options['company_name']} has no partners: opportunities need them, "
                    "generate partners first (--entity partners)."
                )

        started = time.perf_counter()
        company, user = self._bench_company(options["company_name"], options["password"])
        if entity == "all":
            targets: list[type[models.Model]] = [Activity, Tag]
        elif entity == "tags":
            # Activities point at tags by id: they go with them.
            targets = [Activity, Tag] if options["reset"] else [Tag]
        elif entity == "activities":
            targets = [Activity]
        elif entity == "leads":
            targets = [Lead]
        elif entity == "partners":
            # Opportunities, orders and contacts first: a partner's go before it.
            targets = [Opportunity, SaleOrder, Contact, Partner]
        elif entity == "opportunities":
            targets = [Opportunity]
        else:
            targets = [REGISTRY[entity].model]

        # _default_manager (`objects` on every target): what Django documents for code that
        # handles any model.
        existing = {m: m._default_manager.filter(company=company).count() for m in targets}
        if any(existing.values()) and not options["reset"]:
            found = ", ".join(
                f"{n} {m._meta.verbose_name_plural}" for m, n in existing.items() if n
            )
            raise CommandError(
                f"{company} already holds {found}: add --reset to delete them first."
            )
        if options["reset"]:
            t0 = time.perf_counter()
            with transaction.atomic():
                for model in targets:
                    deleted = self._delete_company_rows(model, company)
                    self.stdout.write(
                        f"reset: {deleted:,} {model._meta.verbose_name_plural} deleted"
                    )
            self.stdout.write(f"reset: {time.perf_counter() - t0:.1f} s")

        if entity in ("all", "tags"):
            self._timed("tags", Tag, lambda: _tag_rows(company.pk, n_tags))
        if entity in ("all", "activities"):
            tag_ids = _ids(Tag, company)
            if not tag_ids and n_activities:
                raise CommandError(f"{company} has no tags: generate tags first (--entity tags).")
            tag_type = ContentType.objects.get_for_model(Tag)
            self._timed(
                "activities",
                Activity,
                lambda: _activity_rows(company.pk, tag_type.pk, user.pk, tag_ids, n_activities),
            )
        if entity == "leads":
            self._leads(company, user, n_leads)
        if entity == "partners":
            self._partners(company, user, n_partners, n_contacts)
        if entity == "opportunities":
            self._opportunities(company, user, n_opportunities)
        if entity not in ("all", "tags", "activities", "leads", "partners", "opportunities"):
            model = REGISTRY[entity].model
            self._timed(entity, model, lambda: _referential_rows(model, company.pk, size))
        self.stdout.write(
            self.style.SUCCESS(
                f"{company}: dataset ready in {time.perf_counter() - started:.1f} s "
                f"(sign in as {BENCH_USERNAME})."
            )
        )

    def _bench_company(self, name: str, password: str) -> tuple[Company, User]:
        with transaction.atomic():
            company = Company.objects.filter(name_key=fold(name)).first()
            if company is None:
                company = Company.objects.create(name=name, legal_form="SA")
            CrmSettings.objects.get_or_create(company=company)
            install_defaults(company)
            user = User.objects.filter(username=BENCH_USERNAME).first()
            if user is None:
                user = User(username=BENCH_USERNAME, first_name="Bench", last_name="Admin")
                user.active_company = company
                user.set_password(password)
                user.save()
            else:
                user.is_active = True
                user.active_company = company
                user.set_password(password)
                user.save(update_fields=["is_active", "active_company", "password"])
            Membership.objects.update_or_create(
                user=user,
                company=company,
                defaults={"role": Role.ADMINISTRATOR, "scope": "", "is_active": True},
            )
        return company, user

    def _delete_company_rows(self, model: type[models.Model], company: Company) -> int:
        """Delete the company's rows of ``model``, with their timelines and tag links (and, for
        opportunities, the kanban's running totals, which then count nothing)."""
        if model is Opportunity:
            StageTotal.objects.filter(company=company).delete()
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        # A partner's orders and contacts are deleted before it (the targets' order) and its
        # subsidiaries let go of it below: then only many-to-many links point at partners.
        nulled = _NULLED_REFERENCES.get(model, ())
        cascaded = _DELETED_REFERENCES.get(model, ())
        handled: tuple[type[models.Model], ...] = tuple(m for m, _c in (*nulled, *cascaded))
        if model is Partner:
            handled += (Opportunity, SaleOrder, Contact)
        links = _link_tables(model, handled=handled)
        if links is None:
            # Rows other tables point at: Django's collector cascades or nulls those references.
            deleted, _ = model._default_manager.filter(company=company).delete()
            return deleted
        # Nothing but many-to-many links points at these rows: a few DELETEs by company, no
        # rows loaded in Python.
        with connection.cursor() as cursor:
            for other, column in nulled:
                # Converted leads and generated opportunities forget the deleted rows.
                cursor.execute(
                    f"UPDATE {quote(other._meta.db_table)} SET {quote(column)} = NULL "  # noqa: S608
                    f"WHERE {quote(column)} IN (SELECT id FROM {table} WHERE company_id = %s)",
                    [company.pk],
                )
            for other, column in cascaded:
                cursor.execute(
                    f"DELETE FROM {quote(other._meta.db_table)} "  # noqa: S608
                    f"WHERE {quote(column)} IN (SELECT id FROM {table} WHERE company_id = %s)",
                    [company.pk],
                )
            if model is Partner:
                cursor.execute(
                    f"UPDATE {table} SET parent_id = NULL "  # noqa: S608
                    "WHERE company_id = %s AND parent_id IS NOT NULL",
                    [company.pk],
                )
            # A record's addresses are its own (one-to-one): they go with it. Foreign keys are
            # checked at commit, when the records are gone too.
            for address_column in _address_columns(model):
                cursor.execute(
                    f"DELETE FROM {quote(Address._meta.db_table)} "  # noqa: S608
                    f"WHERE id IN (SELECT {quote(address_column)} FROM {table} "
                    "WHERE company_id = %s)",
                    [company.pk],
                )
            for through, column in links:
                cursor.execute(
                    f"DELETE FROM {quote(through._meta.db_table)} "  # noqa: S608
                    f"WHERE {quote(column)} IN (SELECT id FROM {table} WHERE company_id = %s)",
                    [company.pk],
                )
            if model is not Activity:
                # A record's timeline goes with it (activities point at it by id only).
                cursor.execute(
                    f"DELETE FROM {quote(Activity._meta.db_table)} "  # noqa: S608
                    "WHERE company_id = %s AND content_type_id = %s",
                    [company.pk, ContentType.objects.get_for_model(model).pk],
                )
            cursor.execute(
                f"DELETE FROM {table} WHERE company_id = %s",  # noqa: S608
                [company.pk],
            )
            return cursor.rowcount

    def _leads(self, company: Company, admin: User, count: int) -> None:
        """``count`` leads, then their tag links and a timeline on one lead in TIMELINE_EVERY."""
        world = _sales_world(company, admin)
        kept: dict[int, datetime] = {}
        self._timed(
            "leads",
            Lead,
            lambda: _lead_rows(world, count, kept),
            rebuild_indexes=count >= REBUILD_INDEXES_FROM,
        )
        lead_ids = _ids(Lead, company)
        tag_ids = _ids(Tag, company, limit=LEAD_TAGS)
        if tag_ids:
            through = Lead.tags.through
            self._timed(
                "lead tags",
                through,
                lambda: _lead_tag_rows(lead_ids, tag_ids),
                rebuild_indexes=count >= REBUILD_INDEXES_FROM,
            )
        lead_type = ContentType.objects.get_for_model(Lead).pk
        timelines = [(lead_ids[i], created) for i, created in sorted(kept.items())]
        self._timed(
            "lead timelines",
            Activity,
            lambda: _lead_activity_rows(world, lead_type, timelines),
        )

    def _partners(self, company: Company, admin: User, n_partners: int, n_contacts: int) -> None:
        """Partners, then their contacts, their tag links, and a timeline on one partner and one
        contact in TIMELINE_EVERY. The rows come from ``piste.partners.dataset``."""
        # Imported here: that module reads this one's names and generators.
        from piste.partners import dataset

        world = dataset.accounts_world(company, _sales_world(company, admin))
        facts = dataset.PartnerFacts()
        self._timed(
            "partners",
            Partner,
            lambda: dataset.partner_rows(world, n_partners, facts),
            rebuild_indexes=n_partners >= REBUILD_INDEXES_FROM,
        )
        partner_ids = _ids(Partner, company)
        positions = dataset.contact_partners(facts, n_contacts)
        self._timed(
            "contacts",
            Contact,
            lambda: dataset.contact_rows(world, partner_ids, facts, positions),
            rebuild_indexes=n_contacts >= REBUILD_INDEXES_FROM,
        )
        contact_ids = _ids(Contact, company)
        tag_ids = _ids(Tag, company, limit=LEAD_TAGS)
        if tag_ids:
            for label, model, column, ids, share, seed in (
                ("partner", Partner, "partner_id", partner_ids, dataset.PARTNER_TAGGED_SHARE, 12),
                ("contact", Contact, "contact_id", contact_ids, dataset.CONTACT_TAGGED_SHARE, 13),
            ):
                self._timed(
                    f"{label} tags",
                    model.tags.through,
                    functools.partial(dataset.tag_link_rows, column, ids, tag_ids, share, seed),
                    rebuild_indexes=len(ids) >= REBUILD_INDEXES_FROM,
                )

        # Read before the COPY starts: a query cannot run on the connection in the middle of it.
        timelines = []
        for model, ids in ((Partner, partner_ids), (Contact, contact_ids)):
            chosen = ids[::TIMELINE_EVERY]
            created = dict(
                model._default_manager.filter(pk__in=chosen).values_list("pk", "created_at")
            )
            type_id = ContentType.objects.get_for_model(model).pk
            timelines.append((type_id, [(pk, created[pk]) for pk in chosen], model is Partner))

        def timeline_rows() -> Iterator[Row]:
            for type_id, records, partners in timelines:
                yield from dataset.timeline_rows(
                    world.sales, type_id, records, TIMELINE_LENGTH, partners=partners
                )

        self._timed("partner and contact timelines", Activity, timeline_rows)

    def _opportunities(self, company: Company, admin: User, count: int) -> None:
        """Opportunities of the bench partners (``piste.opportunities.dataset``), a timeline on
        one in TIMELINE_EVERY, then the kanban's running totals rebuilt from them."""
        # Imported here: that module reads this one's names and generators.
        from piste.opportunities import dataset
        from piste.opportunities.services import stage_totals_rebuild

        partner_ids = dataset.partners_for_opportunities(company)
        world = dataset.opportunity_world(company, _sales_world(company, admin), partner_ids)
        kept: dict[int, datetime] = {}
        self._timed(
            "opportunities",
            Opportunity,
            lambda: dataset.opportunity_rows(world, count, kept),
            rebuild_indexes=count >= REBUILD_INDEXES_FROM,
        )
        ids = _ids(Opportunity, company)
        timelines = [(ids[i], created) for i, created in sorted(kept.items())]
        type_id = ContentType.objects.get_for_model(Opportunity).pk
        names = [s.name for s in OpportunityStage.objects.filter(company=company)]
        self._timed(
            "opportunity timelines",
            Activity,
            lambda: dataset.timeline_rows(world.sales, type_id, timelines, TIMELINE_LENGTH, names),
        )
        t0 = time.perf_counter()
        stage_totals_rebuild(company=company)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(StageTotal._meta.db_table)}")
        rows = StageTotal.objects.filter(company=company).count()
        self.stdout.write(
            f"stage totals: {rows:,} rows rebuilt in {time.perf_counter() - t0:.1f} s"
        )

    def _timed(
        self, label: str, model: type[models.Model], rows: Any, *, rebuild_indexes: bool = False
    ) -> None:
        t0 = time.perf_counter()
        counted = [0]

        def counting(found: Iterator[Row]) -> Iterator[Row]:
            for row in found:
                counted[0] += 1
                yield row

        with transaction.atomic():
            if rebuild_indexes and connection.vendor == "postgresql":
                with _indexes_rebuilt(model):
                    _insert(model, counting(rows()))
            else:
                _insert(model, counting(rows()))
        count = counted[0]
        loaded = time.perf_counter() - t0
        t1 = time.perf_counter()
        maintenance = ""
        if connection.vendor == "postgresql":
            # VACUUM clears the rows a --reset left behind and sets the visibility map (index-only
            # scans); ANALYZE gives the planner the new statistics. VACUUM cannot run inside a
            # transaction (a test's, or a caller's atomic block): ANALYZE alone then.
            maintenance = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            table = connection.ops.quote_name(model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"{maintenance} {table}")
        analysed = time.perf_counter() - t1
        rate = count / loaded if loaded else 0
        self.stdout.write(
            f"{label}: {count:,} rows in {loaded:.1f} s ({rate:,.0f} rows/s)"
            + (f", {maintenance} {analysed:.1f} s" if maintenance else "")
        )


Row = dict[str, Any]
# From this many rows a load drops the table's plain indexes and builds them again after.
REBUILD_INDEXES_FROM = 100_000


@contextmanager
def _indexes_rebuilt(model: type[models.Model]) -> Iterator[None]:
    """Drop the table's foreign keys and plain indexes (not the primary key nor unique
    constraints) during a large load, and add them back after it, in the caller's transaction,
    as PostgreSQL's "Populating a Database" advises: one check per foreign key and one sorted
    build per index cost far less than a million row-by-row checks and insertions (1,000,000
    leads: 146 s with everything in place; the trigram GIN index alone takes 19 s to build)."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "ORDER BY i.relname",
            [table],
        )
        indexes = cursor.fetchall()
        # ALTER TABLE refuses tables with pending deferred checks (rows this transaction wrote
        # earlier, in a test): they run now, and the checks go back to deferred after.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        # Builds sort in memory rather than on disk (for this transaction only).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        # Each foreign key checks every row again, in one query.
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


def _insert(model: type[models.Model], rows: Iterator[Row]) -> None:
    """Insert ``rows`` (column name -> value, JSON columns as Python objects)."""
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    if connection.vendor == "postgresql":
        _copy(model, columns, _chain(first, rows))
        return
    # Plain INSERTs rather than bulk_create, which would overwrite the rows' creation times
    # (auto_now_add) with the present.
    fields = [_concrete_field(model, c) for c in columns]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in _chain(first, rows):
            batch.append(
                [
                    f.get_db_prep_save(row[c], connection)
                    for f, c in zip(fields, columns, strict=True)
                ]
            )
            if len(batch) >= BATCH_SIZE:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _chain(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterator[Row]) -> None:
    opts = model._meta
    db_columns = [_concrete_field(model, c).column for c in columns]
    json_columns = {c for c in columns if isinstance(opts.get_field(c), models.JSONField)}
    quote = connection.ops.quote_name
    sql = f"COPY {quote(opts.db_table)} ({', '.join(quote(c) for c in db_columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in json_columns else row[c] for c in columns])


def _concrete_field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    # Rows name columns: concrete fields only, never a reverse relation.
    assert isinstance(field, models.Field), name
    return field


def _tag_rows(company_id: int, count: int) -> Iterator[Row]:
    now = timezone.now()
    for i in range(1, count + 1):
        name = f"Étiquette {i:06d}"
        yield {
            "company_id": company_id,
            "name": name,
            "name_key": fold(name),
            "color": COLORS[i % len(COLORS)],
            "created_at": now,
            "updated_at": now,
        }


def _activity_rows(
    company_id: int, tag_type_id: int, actor_id: int, tag_ids: list[int], count: int
) -> Iterator[Row]:
    rng = random.Random(SEED)  # noqa: S311 (fake data, not secrets)
    start = timezone.now() - timedelta(days=730)
    # Spread over two years, increasing with the id, as a real timeline grows.
    step = timedelta(days=730) / max(count, 1)
    warm = tag_ids[1 : 1 + WARM_TAGS] or tag_ids
    for i in range(count):
        if i % HOT_EVERY == 0:
            object_id = tag_ids[0]
        elif i % WARM_EVERY == 0:
            object_id = warm[i % len(warm)]
        else:
            object_id = tag_ids[rng.randrange(len(tag_ids))]
        verb, data = _activity_content(i)
        yield {
            "company_id": company_id,
            "content_type_id": tag_type_id,
            "object_id": object_id,
            "verb": verb,
            "actor_id": actor_id if i % 7 else None,
            "data": data,
            "created_at": start + step * i,
        }


def _activity_content(i: int) -> tuple[str, dict[str, Any]]:
    kind = i % 4
    if kind == 0:
        return Activity.Verb.CREATED.value, {}
    if kind == 3:
        return Activity.Verb.NOTE.value, {"message": f"Note de suivi n° {i}"}
    before, after = COLORS[i % len(COLORS)], COLORS[(i + 1) % len(COLORS)]
    return Activity.Verb.CHANGED.value, {
        "changes": [{"field": "color", "from": before, "to": after}]
    }


def _referential_rows(model: type[NamedReferential], company_id: int, count: int) -> Iterator[Row]:
    """Rows for any configuration list: a numbered name, defaults for its other columns."""
    now = timezone.now()
    label = str(model._meta.verbose_name).capitalize()
    extra = {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.attname not in {"company_id", "name", "name_key", "created_at", "updated_at"}
    }
    for i in range(1, count + 1):
        name = f"{label} {i:06d}"
        yield {
            "company_id": company_id,
            "name": name,
            "name_key": fold(name),
            "created_at": now,
            "updated_at": now,
            **extra,
        }


def _ids(model: type[models.Model], company: Company, *, limit: int | None = None) -> list[int]:
    """The ids of the company's rows of ``model``, oldest first (the first ``limit``)."""
    ids = model._default_manager.filter(company=company).order_by("id").values_list("id", flat=True)
    return list(ids[:limit])


# References that let go of a deleted row (on_delete=SET_NULL): (model, column) per target.
_NULLED_REFERENCES: dict[type[models.Model], tuple[tuple[type[models.Model], str], ...]] = {
    # merged_into: records archived by a merge point at their survivor (piste.duplicates).
    # Events stay in the calendars when their record goes (piste.activities); web form
    # submissions stay as the proof of consent (piste.webforms).
    Lead: (
        (Opportunity, "lead_id"),
        (Lead, "merged_into_id"),
        (Event, "lead_id"),
        (WebFormSubmission, "lead_id"),
    ),
    Partner: ((Lead, "partner_id"), (Partner, "merged_into_id"), (Event, "partner_id")),
    Contact: ((Lead, "contact_id"), (Contact, "merged_into_id"), (Event, "contact_id")),
    Opportunity: ((Event, "opportunity_id"),),
}
# References deleted with the row (on_delete=CASCADE): an event's guests.
_DELETED_REFERENCES: dict[type[models.Model], tuple[tuple[type[models.Model], str], ...]] = {
    Lead: ((EventAttendee, "lead_id"),),
    Contact: ((EventAttendee, "contact_id"),),
}


def _link_tables(
    model: type[models.Model], *, handled: Sequence[type[models.Model]] = ()
) -> list[tuple[type[models.Model], str]] | None:
    """The many-to-many link tables (and their column) pointing at ``model``'s rows, when nothing
    else points at them with a cascade; None when something else does. ``handled``: models whose
    references the caller takes care of itself."""
    links: list[tuple[type[models.Model], str]] = []
    for relation in model._meta.get_fields(include_hidden=True):
        # What Django's deletion collector considers: reverse foreign keys and one-to-ones.
        if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
            continue
        if relation.on_delete is models.DO_NOTHING:
            continue
        through = relation.related_model
        if through in handled:
            continue
        if not (isinstance(through, type) and through._meta.auto_created):
            return None
        links.append((through, relation.field.column))
    return links


def _address_columns(model: type[models.Model]) -> list[str]:
    """The columns of ``model``'s one-to-one fields to addresses."""
    return [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.OneToOneField) and f.related_model is Address
    ]


# Leads ---------------------------------------------------------------------------------------

# Sales users of the bench company besides `bench` (who gets a share of the leads too, for
# My leads), in teams of five.
SALES_USERS = 20
TEAMS = ("Équipe Nord", "Équipe Sud", "Équipe Est", "Équipe Ouest")
LEAD_SOURCES = (
    ("Formulaire du site web", "WEB"),
    ("Webinar", "WEBINAR"),
    ("Salon professionnel", "SALON"),
    ("Recommandation", "RECO"),
    ("Prospection commerciale", "PROSP"),
    ("Campagne emailing", "EMAILING"),
    ("Réseaux sociaux", "SOCIAL"),
)
LOST_REASONS = ("Prix trop élevé", "Concurrent retenu", "Pas de budget", "Pas de réponse")
UNASSIGNED_SHARE = 0.2
# Leads are tagged with the company's first LEAD_TAGS tags (when it has tags).
LEAD_TAGS = 200
# One lead in TIMELINE_EVERY gets a timeline of TIMELINE_LENGTH lines (the lead page shows the
# first 20): the timeline table already holds the tags' activities.
TIMELINE_EVERY = 1000
TIMELINE_LENGTH = 30
LEAD_YEARS = 3

FEMALE = (
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Marie", "Laura",
    "Céline", "Nathalie", "Isabelle", "Sophie", "Aurélie", "Émilie", "Claire", "Hélène", "Anne",
    "Valérie", "Sandrine", "Élodie", "Mathilde", "Pauline", "Margaux", "Lucie", "Charlotte",
    "Juliette", "Agnès", "Françoise", "Brigitte", "Martine", "Christine", "Véronique", "Delphine",
    "Stéphanie", "Audrey", "Virginie", "Amélie", "Zoé", "Marie-Claire", "Anne-Sophie",
)  # fmt: skip
MALE = (
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Julien", "Thomas", "Maxime",
    "Antoine", "Alexandre", "Olivier", "François", "Sébastien", "Laurent", "Christophe",
    "Frédéric", "Éric", "Patrick", "Stéphane", "David", "Vincent", "Guillaume", "Romain", "Hugo",
    "Lucas", "Louis", "Mathieu", "Benoît", "Jérôme", "Cédric", "Damien", "Yannick", "Gilles",
    "Hervé", "Thierry", "Bruno", "Arnaud", "Jean-Pierre", "Jean-François", "Loïc", "Gaëtan",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard",
    "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez",
    "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard",
    "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Bourgeois",
    "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez",
    "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin",
    "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Adam", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charpentier", "Ménard", "Maillard",
    "Baron", "Bertin", "Bailly", "Schneider", "Fernandez", "Le Gall", "Collet", "Léger",
    "Bouvier", "Prévost", "Millet", "Perrot", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Jacob", "Monnier", "Michaud", "Rodriguez",
    "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier", "Chauvin", "Da Silva",
    "Bouchet", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud", "Hoarau", "Perret",
    "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier",
    "Carlier", "Laporte", "D'Almeida", "N'Diaye",
)  # fmt: skip
TRADES = (
    "Boulangerie", "Garage", "Transports", "Cabinet", "Atelier", "Menuiserie", "Pharmacie",
    "Imprimerie", "Hôtel", "Restaurant", "Agence", "Laboratoires", "Établissements", "Maison",
    "Domaine", "Clinique", "Librairie", "Plomberie", "Électricité", "Charpente", "Fromagerie",
    "Cave", "Ébénisterie", "Serrurerie",
)  # fmt: skip
ACTIVITIES = (
    "Conseil", "Industrie", "Services", "Solutions", "Distribution", "Bâtiment", "Informatique",
    "Logistique", "Immobilier", "Énergie", "Ingénierie", "Formation", "Santé", "Environnement",
    "Numérique", "Agroalimentaire", "Assurances", "Finance", "Architecture", "Communication",
)  # fmt: skip
LEGAL_FORMS = ("", "", "", "SARL", "SAS", "SA", "EURL", "SCOP")
CITIES = (
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Montpellier", "Strasbourg",
    "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Saint-Étienne", "Le Havre", "Grenoble",
    "Dijon", "Angers", "Nîmes", "Villeurbanne", "Clermont-Ferrand", "Le Mans", "Aix-en-Provence",
    "Brest", "Tours", "Amiens", "Limoges", "Annecy", "Perpignan", "Boulogne-Billancourt", "Metz",
    "Besançon", "Orléans", "Saint-Denis", "Rouen", "Argenteuil", "Mulhouse", "Montreuil", "Caen",
    "Nancy", "Saint-Paul", "Roubaix", "Tourcoing", "Nanterre", "Vitry-sur-Seine", "Avignon",
    "Créteil", "Poitiers", "Aubervilliers", "Versailles", "Colombes", "Pau", "Asnières-sur-Seine",
    "Rueil-Malmaison", "La Rochelle", "Quimper", "Ajaccio", "Bayonne", "Chambéry", "Vannes",
    "Saint-Malo", "Mérignac", "Châteauroux", "Épinal",
)  # fmt: skip
MAIL_DOMAINS = ("gmail.com", "orange.fr", "free.fr", "wanadoo.fr", "laposte.net", "sfr.fr")
# French numbers: the first two digits of the 9 after +33 (all valid with any 7 digits after).
FIXED_PREFIXES = ("14", "13", "15", "20", "23", "32", "38", "47", "42", "44", "55", "56", "51")
MOBILE_PREFIXES = ("60", "61", "62", "64", "65", "66", "67", "68", "73", "75", "77", "78")
LOST_COMMENTS = ("", "", "Relancé trois fois sans réponse.", "A choisi un concurrent moins cher.")


@dataclass
class SalesWorld:
    """The bench company's people and referentials that generated leads point at."""

    company_id: int
    admin_id: int
    # Assignees (the bench administrator first) and the team each one works in.
    assignee_ids: list[int]
    team_of: dict[int, int | None]
    team_ids: list[int]
    # (status id, weight, is lost) in status-bar order.
    statuses: list[tuple[int, int, bool]]
    status_names: dict[int, str]
    source_ids: list[int]
    lost_reason_ids: list[int]
    user_names: dict[int, str] = field(default_factory=dict)


def _named(model: type[NamedReferential], company: Company, name: str, **extra: Any) -> Any:
    found = model.objects.filter(company=company, name_key=fold(name)).first()
    return found or model.objects.create(company=company, name=name, **extra)


def _sales_world(company: Company, admin: User) -> SalesWorld:
    """Sales users (bench01…) in teams, lead sources and lost reasons; created when missing."""
    with transaction.atomic():
        teams = [_named(Team, company, name) for name in TEAMS]
        assignees = [admin]
        team_of: dict[int, int | None] = {admin.pk: None}
        for i in range(1, SALES_USERS + 1):
            username = f"{BENCH_USERNAME}{i:02d}"
            user = User.objects.filter(username=username).first()
            if user is None:
                first = (FEMALE if i % 2 else MALE)[i % 40]
                user = User(
                    username=username,
                    first_name=first,
                    last_name=LAST_NAMES[i * 7 % len(LAST_NAMES)],
                    active_company=company,
                )
                user.set_unusable_password()  # they never sign in: the bench signs in as bench
                user.save()
            Membership.objects.update_or_create(
                user=user,
                company=company,
                defaults={"role": Role.SALESPERSON, "scope": "", "is_active": True},
            )
            team = teams[(i - 1) * len(teams) // SALES_USERS]
            team.members.add(user)
            if team.leader_id is None:
                team.leader = user
                team.save(update_fields=["leader"])
            assignees.append(user)
            team_of[user.pk] = team.pk
        sources = [_named(LeadSource, company, n, code=c) for n, c in LEAD_SOURCES]
        reasons = [_named(LostReason, company, n) for n in LOST_REASONS]
    statuses = lead_statuses(company)
    weights: dict[str, int] = {
        LeadStatus.Role.DEFAULT: 35,
        LeadStatus.Role.CONVERTED: 8,
        LeadStatus.Role.LOST: 12,
    }
    return SalesWorld(
        company_id=company.pk,
        admin_id=admin.pk,
        assignee_ids=[u.pk for u in assignees],
        team_of=team_of,
        team_ids=[t.pk for t in teams],
        statuses=[
            (s.pk, weights.get(s.role, 15 if s.is_open else 2), s.role == LeadStatus.Role.LOST)
            for s in statuses
        ],
        status_names={s.pk: s.name for s in statuses},
        source_ids=[s.pk for s in sources],
        lost_reason_ids=[r.pk for r in reasons],
        user_names={u.pk: str(u) for u in assignees},
    )


# Names, companies and cities come from short lists: their folded forms are computed once.
_fold = functools.lru_cache(maxsize=None)(fold)


def _slug(text: str) -> str:
    return _fold(text).replace(" ", "-")


def _phone(rng: random.Random, prefixes: Sequence[str]) -> tuple[str, str]:
    """A French number in E.164 and its search digits, as ``phone_search_digits`` gives them
    (international digits, then the national ones: "33612345678 0612345678")."""
    significant = rng.choice(prefixes) + f"{rng.randrange(10_000_000):07d}"
    return f"+33{significant}", f"33{significant} 0{significant}"


def _lead_rows(world: SalesWorld, count: int, kept: dict[int, datetime]) -> Iterator[Row]:
    """``count`` French-looking leads, oldest first over LEAD_YEARS years. Their derived list
    columns are what ``piste.leads.services._refresh_derived`` computes (a test checks it), the
    city as if the lead's address were in that city (no Address rows are made). ``kept`` gets
    the creation time of every TIMELINE_EVERY-th lead, by position."""
    rng = random.Random(SEED + 4)  # noqa: S311 (fake data, not secrets)
    now = timezone.now()
    start = now - timedelta(days=365 * LEAD_YEARS)
    step = (now - start) / max(count, 1)
    base = {
        f.attname: f.get_default()
        for f in Lead._meta.concrete_fields
        if not f.primary_key and not f.auto_created
    }
    status_ids = [s[0] for s in world.statuses]
    status_weights = [s[1] for s in world.statuses]
    lost_ids = {s[0] for s in world.statuses if s[2]}
    assignees = world.assignee_ids
    sizes = [c.value for c in CompanySize]
    for i in range(count):
        female = rng.random() < 0.5
        first = rng.choice(FEMALE if female else MALE)
        last = rng.choice(LAST_NAMES)
        r = rng.random()
        if r < 0.15:
            enterprise = ""
        elif r < 0.55:
            enterprise = f"{rng.choice(TRADES)} {rng.choice(LAST_NAMES)}"
        else:
            enterprise = f"{rng.choice(LAST_NAMES)} {rng.choice(ACTIVITIES)}"
        if enterprise:
            legal = rng.choice(LEGAL_FORMS)
            domain = f"{_slug(enterprise)}.fr"
            company_name = f"{enterprise} {legal}" if legal else enterprise
        else:
            domain, company_name = rng.choice(MAIL_DOMAINS), ""
        email = ""
        if rng.random() < 0.9:
            number = "" if rng.random() < 0.5 else str(rng.randrange(1, 100))
            email = f"{_slug(first)}.{_slug(last)}{number}@{domain}"
        fixed = fixed_digits = mobile = mobile_digits = ""
        if rng.random() < 0.6:
            fixed, fixed_digits = _phone(rng, FIXED_PREFIXES)
        if rng.random() < 0.7:
            mobile, mobile_digits = _phone(rng, MOBILE_PREFIXES)
        city = rng.choice(CITIES) if rng.random() < 0.9 else ""
        status_id = rng.choices(status_ids, weights=status_weights)[0]
        assigned = None if rng.random() < UNASSIGNED_SHARE else assignees[i % len(assignees)]
        team = (
            world.team_of[assigned]
            if assigned is not None
            else (rng.choice(world.team_ids) if rng.random() < 0.5 else None)
        )
        created = start + step * (i + rng.random())
        if i % TIMELINE_EVERY == 0:
            kept[i] = created
        simple = f"{first} {last}"
        enterprise_key = _fold(company_name)[:200]
        lost = status_id in lost_ids
        yield {
            **base,
            "company_id": world.company_id,
            "civility": ("ms" if female else "mr") if rng.random() < 0.95 else "",
            "first_name": first,
            "last_name": last,
            "enterprise_name": company_name,
            "fixed_phone": fixed,
            "mobile_phone": mobile,
            "email": email,
            "website": f"https://www.{domain}" if enterprise and rng.random() < 0.4 else "",
            "do_not_call": rng.random() < 0.03,
            "do_not_email": rng.random() < 0.05,
            "status_id": status_id,
            "lost_reason_id": rng.choice(world.lost_reason_ids) if lost else None,
            "lost_comment": rng.choice(LOST_COMMENTS) if lost else "",
            "assigned_to_id": assigned,
            "team_id": team,
            "created_by_id": assigned or world.admin_id,
            "created_at": created,
            "updated_at": created,
            "scoring": rng.choices(range(6), weights=(30, 20, 20, 15, 10, 5))[0],
            "size": rng.choice(sizes) if rng.random() < 0.6 else None,
            "is_key_account": rng.random() < 0.05,
            "is_nurturing": rng.random() < 0.1,
            "source_id": rng.choice(world.source_ids) if rng.random() < 0.85 else None,
            # The derived columns, as _refresh_derived computes them.
            "full_name": f"{company_name}, {simple}" if company_name else simple,
            "name_key": _fold(f"{last} {first}")[:201],
            "enterprise_key": enterprise_key,
            "main_phone": fixed or mobile,
            "city_name": city,
            "city_key": _fold(city)[:200],
            "email_key": email.lower(),
            "email_domain": email.rpartition("@")[2].lower() if email else "",
            "search_key": " ".join(
                p
                for p in (
                    _fold(f"{first} {last} {last} {first}"),
                    enterprise_key,
                    fold(email),
                    fixed_digits,
                    mobile_digits,
                )
                if p
            ),
            "version": 1,
        }


def _lead_tag_rows(lead_ids: list[int], tag_ids: list[int]) -> Iterator[Row]:
    """About 30 % of the leads get one to three tags; the first tags are the most used."""
    rng = random.Random(SEED + 5)  # noqa: S311 (fake data, not secrets)
    weights = [1 / (rank + 1) for rank in range(len(tag_ids))]
    for lead_id in lead_ids:
        if rng.random() >= 0.3:
            continue
        for tag_id in set(rng.choices(tag_ids, weights=weights, k=rng.randint(1, 3))):
            yield {"lead_id": lead_id, "tag_id": tag_id}


def _lead_activity_rows(
    world: SalesWorld, lead_type_id: int, timelines: list[tuple[int, datetime]]
) -> Iterator[Row]:
    """TIMELINE_LENGTH lines per lead: created, then assignments, status and field changes."""
    rng = random.Random(SEED + 6)  # noqa: S311 (fake data, not secrets)
    names = [world.status_names[s[0]] for s in world.statuses]
    for lead_id, created in timelines:
        for n in range(TIMELINE_LENGTH):
            kind = n % 5
            verb: str
            data: dict[str, Any]
            if n == 0:
                verb, data = Activity.Verb.CREATED.value, {}
            elif kind == 1:
                before, after = rng.sample(list(world.user_names.values()), 2)
                verb = Activity.Verb.ASSIGNED.value
                data = {"changes": [{"field": "assigned_to", "from": before, "to": after}]}
            elif kind == 2:
                before, after = rng.sample(names, 2)
                verb = Activity.Verb.STATUS_CHANGED.value
                data = {"changes": [{"field": "status", "from": before, "to": after}]}
            elif kind == 3:
                verb = Activity.Verb.CHANGED.value
                data = {"changes": [{"field": "scoring", "from": n % 5, "to": (n + 1) % 5}]}
            else:
                verb, data = Activity.Verb.NOTE.value, {"message": f"Appel de suivi n° {n}"}
            yield {
                "company_id": world.company_id,
                "content_type_id": lead_type_id,
                "object_id": lead_id,
                "verb": verb,
                "actor_id": world.admin_id,
                "data": data,
                "created_at": created + timedelta(hours=n),
            }
