"""`manage.py generate_dataset`: a large dataset in one bench company, for `make bench`.

On PostgreSQL rows go in through COPY (psycopg 3 ``cursor.copy()``), then the tables are
vacuumed and analysed so the planner and the visibility map see the new rows; elsewhere
(SQLite) a batched ``bulk_create`` does the same, slower. Only the bench company's rows are
ever written or deleted: the database may hold other companies.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import connection, models, transaction
from django.db.models.deletion import Collector
from django.utils import timezone

from piste.core.models import Activity, NamedReferential, Tag
from piste.core.referentials import REGISTRY
from piste.core.rights import Role
from piste.core.text import fold
from piste.leads.services import lead_statuses_install
from piste.users.models import Company, CrmSettings, Membership, User

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
    return ["all", "tags", "activities", *sorted(s for s in REGISTRY if s != "tags")]


class Command(BaseCommand):
    help = "Generate a benchmark dataset (tags, timeline activities, referentials) fast."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=1000, help="Rows per entity.")
        parser.add_argument("--tags", type=int, help="Tags to create (default: --size).")
        parser.add_argument(
            "--activities", type=int, help="Timeline activities to create (default: --size)."
        )
        parser.add_argument(
            "--entity",
            default="all",
            help="all (tags and activities), tags, activities, or a configuration list slug "
            "(industry-sectors, job-titles…).",
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
        if min(size, n_tags, n_activities) < 0:
            raise CommandError("Sizes cannot be negative.")

        started = time.perf_counter()
        company, user = self._bench_company(options["company_name"], options["password"])
        if entity == "all":
            targets: list[type[models.Model]] = [Activity, Tag]
        elif entity == "tags":
            # Activities point at tags by id: they go with them.
            targets = [Activity, Tag] if options["reset"] else [Tag]
        elif entity == "activities":
            targets = [Activity]
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
            self._timed("tags", Tag, n_tags, lambda: _tag_rows(company.pk, n_tags))
        if entity in ("all", "activities"):
            tag_ids = list(
                Tag.objects.filter(company=company).order_by("id").values_list("id", flat=True)
            )
            if not tag_ids and n_activities:
                raise CommandError(f"{company} has no tags: generate tags first (--entity tags).")
            tag_type = ContentType.objects.get_for_model(Tag)
            self._timed(
                "activities",
                Activity,
                n_activities,
                lambda: _activity_rows(company.pk, tag_type.pk, user.pk, tag_ids, n_activities),
            )
        if entity not in ("all", "tags", "activities"):
            model = REGISTRY[entity].model
            self._timed(entity, model, size, lambda: _referential_rows(model, company.pk, size))
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
            lead_statuses_install(company=company)
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
        queryset = model._default_manager.filter(company=company)
        if Collector(using=queryset.db).can_fast_delete(queryset):
            # Nothing cascades from these rows: one DELETE by company, no rows loaded in Python.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608
                    "WHERE company_id = %s",
                    [company.pk],
                )
                return cursor.rowcount
        # Rows other tables point at: Django's collector cascades or nulls those references.
        deleted, _ = queryset.delete()
        return deleted

    def _timed(self, label: str, model: type[models.Model], count: int, rows: Any) -> None:
        t0 = time.perf_counter()
        with transaction.atomic():
            _insert(model, rows())
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


def _insert(model: type[models.Model], rows: Iterator[Row]) -> None:
    """Insert ``rows`` (column name -> value, JSON columns as Python objects)."""
    first = next(rows, None)
    if first is None:
        return
    columns = list(first)
    if connection.vendor == "postgresql":
        _copy(model, columns, _chain(first, rows))
        return
    batch: list[models.Model] = []
    for row in _chain(first, rows):
        batch.append(model(**row))
        if len(batch) >= BATCH_SIZE:
            model._default_manager.bulk_create(batch)
            batch.clear()
    if batch:
        model._default_manager.bulk_create(batch)


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
