"""Export speed of a lead list to CSV and to XLSX, on PostgreSQL.

Creates a company of its own (``BENCH_EXPORT_COMPANY``) with an administrator and
``BENCH_EXPORT_LEADS`` leads (100,000 by default: batched INSERTs, half of them assigned, five
statuses, French phone numbers and cities), then exports its "Open leads" list through the
export service (``piste.exports.selectors.lead_export`` and ``piste.exports.writers``, what the
download view streams) to CSV and to XLSX, checks the row counts, and prints the seconds of
each. Exits 1 when either takes more than 10 s (the issue's target). Its leads are deleted
at the end (and before, should a previous run have died); its company and user are kept.

Standalone: ``DATABASE_URL=postgres://… uv run python bench/export_speed.py``; ``make bench``
runs it after the page scenarios (bench/run.py) as ``lead_export_100k``.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "lead_export_100k"
TARGET_S = 10.0
COMPANY = "Bench Export SARL"
USERNAME = "bench-export"
CITIES = ["Lyon", "Paris", "Saint-Étienne", "Grenoble", "Annecy", "Valence", "Nîmes", "Brest"]


def _company_and_user() -> Any:
    """The bench's own company and administrator, made once and kept between runs (a company's
    statuses are protected from deletion): only its leads come and go."""
    from django.db import transaction

    from piste.core.access import actor_for
    from piste.core.rights import Role
    from piste.core.testing import make_company, make_user
    from piste.users.models import Company, User

    name = os.environ.get("BENCH_EXPORT_COMPANY", COMPANY)
    with transaction.atomic():
        company = Company.objects.filter(name=name).first() or make_company(name)
        user = User.objects.filter(username=USERNAME).first() or make_user(
            USERNAME, company, Role.ADMINISTRATOR
        )
    actor = actor_for(user)
    if actor is None or actor.company.pk != company.pk:
        raise RuntimeError(f"{USERNAME} does not work in {name}")
    return user


def _clean(user: Any) -> None:
    from django.db import connection

    from piste.core.access import require_actor
    from piste.leads.models import Lead

    with connection.cursor() as cursor:
        # One statement: a queryset delete() would collect the leads' relations first.
        cursor.execute(
            f"DELETE FROM {Lead._meta.db_table} WHERE company_id = %s",
            [require_actor(user).company.pk],
        )


def _setup(user: Any, count: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from piste.core.access import require_actor
    from piste.core.text import fold
    from piste.leads.models import Lead, LeadStatus

    company = require_actor(user).company
    with transaction.atomic():
        statuses = [s for s in LeadStatus.objects.filter(company=company) if s.is_open]
        now = timezone.now()
        batch: list[Lead] = []
        for n in range(count):
            first, last = f"Prénom{n % 997}", f"Nom{n}"
            city = CITIES[n % len(CITIES)]
            company_name = '=HYPERLINK("x")' if n % 1000 == 0 else f"Entreprise {n % 5000}"
            batch.append(
                Lead(
                    company=company,
                    status=statuses[n % len(statuses)],
                    assigned_to=user if n % 2 else None,
                    first_name=first,
                    last_name=last,
                    full_name=f"{first} {last}",
                    name_key=fold(f"{last} {first}"),
                    enterprise_name=company_name,
                    enterprise_key=fold(company_name),
                    main_phone=f"+336{n:08d}",
                    mobile_phone=f"+336{n:08d}",
                    city_name=city,
                    city_key=fold(city),
                    scoring=n % 6,
                    created_at=now,
                )
            )
            if len(batch) == 5000:
                Lead.objects.bulk_create(batch)
                batch = []
        Lead.objects.bulk_create(batch)


def _export(user: Any, fmt: str) -> tuple[float, int, bytes]:
    from django.http import QueryDict

    from piste.exports import selectors, writers

    started = time.perf_counter()
    export = selectors.lead_export(user=user, kind="open", query=QueryDict())
    data = b"".join(writers.pieces(fmt, export.headers, export.kinds, export.rows, export.title))
    return time.perf_counter() - started, len(data), data


def _rows_in(fmt: str, data: bytes) -> int:
    if fmt == "csv":
        return data.count(b"\r\n") - 1
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    return sum(1 for _row in sheet.iter_rows(values_only=True)) - 1


def measure() -> dict[str, Any]:
    """Both exports of the bench company's leads: seconds, rows and megabytes of each."""
    from django.utils import translation

    count = int(os.environ.get("BENCH_EXPORT_LEADS", "100000"))
    translation.activate("fr")
    user = _company_and_user()
    _clean(user)
    result: dict[str, Any] = {"leads": count, "target_s": TARGET_S}
    try:
        started = time.perf_counter()
        _setup(user, count)
        print(f"setup: {count} leads in {time.perf_counter() - started:.1f} s")
        for fmt in ("csv", "xlsx"):
            seconds, size, data = _export(user, fmt)
            result[f"{fmt}_s"] = round(seconds, 2)
            result[f"{fmt}_rows"] = _rows_in(fmt, data)
            result[f"{fmt}_mb"] = round(size / 1e6, 1)
    finally:
        _clean(user)
    return result


def meets_target(result: dict[str, Any]) -> bool:
    return all(
        result.get(f"{fmt}_s", float("inf")) <= result["target_s"]
        and result.get(f"{fmt}_rows") == result["leads"]
        for fmt in ("csv", "xlsx")
    )


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    result = results.get(NAME)
    if result is None:
        return
    verdict = "PASS" if meets_target(result) else "FAIL"
    print(
        f"{NAME}: CSV {result.get('csv_rows', 0):,} rows in {result.get('csv_s')} s, "
        f"XLSX {result.get('xlsx_rows', 0):,} rows in {result.get('xlsx_s')} s "
        f"(target {result['target_s']:.0f} s each)  {verdict}"
    )


def run() -> int:
    result = measure()
    print_summary({NAME: result})
    return 0 if meets_target(result) else 1


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("The export benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return run()


if __name__ == "__main__":
    sys.exit(main())
