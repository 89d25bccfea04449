"""Speed of a duplicate scan of the whole database, on PostgreSQL: the bench company's leads
(1,000,000 in the bench dataset) compared on name and company, then on email.

Each scan is the background job's own body (``duplicate_scan_run``) on a scheduled scan of the
bench company, so that it reads every lead of the company as the nightly scan does: the count,
the rows read in chunks with their progress written every 20,000, the grouping, the groups
saved. The target: a full scan of 1,000,000 leads in under 60 s. The scans and their groups are
deleted afterwards.

Standalone: ``DATABASE_URL=postgres://… uv run python bench/duplicate_scan_speed.py`` (after
``make bench`` made the dataset); ``make bench`` runs it after the page scenarios and adds its
result to latest.json as ``duplicate_scan_leads``: ``seconds`` of the name + company scan
against ``target_seconds``, its ``rows_per_s``, and the same for the email scan.

``BENCH_DUPLICATE_SYNTHETIC=200000`` (no database needed) times the grouping alone on that many
generated rows in this process instead.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "duplicate_scan_leads"
COMPANY = "Bench SA"
TARGET_SECONDS = 60.0
SCANS = (("name_company", ["name", "company"]), ("email", ["email"]))


def scan_once(company_id: int, fields: list[str]) -> tuple[float, Any]:
    """One whole-database scan through the job's body; (seconds, the finished scan)."""
    from piste.duplicates.models import DuplicateScan
    from piste.duplicates.services_checks import duplicate_scan_run, duplicate_scan_start

    scan = duplicate_scan_start(
        actor=None,
        company_id=company_id,
        entity="lead",
        fields=fields,
        scheduled=True,
        enqueue=False,
    )
    started = time.perf_counter()
    done = duplicate_scan_run(scan.pk)
    elapsed = time.perf_counter() - started
    if done is None or done.state != DuplicateScan.State.DONE:
        error = done.error if done is not None else "gone"
        raise RuntimeError(f"the scan ended {getattr(done, 'state', '?')}: {error}")
    return elapsed, done


def measure() -> dict[str, Any]:
    """Scan the bench company's leads twice (name + company, email); the latest.json entry."""
    from piste.duplicates.models import DuplicateScan
    from piste.users.models import Company

    company = Company.objects.get(name=COMPANY)
    result: dict[str, Any] = {"target_seconds": TARGET_SECONDS}
    created: list[int] = []
    try:
        for label, fields in SCANS:
            seconds, scan = scan_once(company.pk, fields)
            created.append(scan.pk)
            rows = scan.processed
            print(
                f"duplicate scan ({label}): {rows:,} leads in {seconds:.1f} s, "
                f"{rows / seconds:,.0f} rows/s, {scan.group_count:,} groups",
                flush=True,
            )
            prefix = "" if label == "name_company" else f"{label}_"
            result.update(
                {
                    f"{prefix}seconds": round(seconds, 2),
                    f"{prefix}rows": rows,
                    f"{prefix}rows_per_s": round(rows / seconds) if seconds else 0,
                    f"{prefix}groups": scan.group_count,
                }
            )
    finally:
        DuplicateScan.objects.filter(pk__in=created).delete()
    return result


def meets_target(result: dict[str, Any]) -> bool:
    """Both scans under the target time."""
    slowest = max(result.get("seconds", 0), result.get("email_seconds", 0))
    return "seconds" in result and slowest < result.get("target_seconds", TARGET_SECONDS)


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    result = results.get(NAME)
    if result:
        verdict = "PASS" if meets_target(result) else "FAIL"
        print(
            f"{NAME}: {result['rows']:,} leads, name + company {result['seconds']:.1f} s "
            f"({result['rows_per_s']:,} rows/s), email {result.get('email_seconds', 0):.1f} s "
            f"(target {result['target_seconds']:.0f} s)  {verdict}"
        )


def synthetic(rows: int) -> dict[str, float]:
    """The grouping alone on ``rows`` generated leads (names, companies, emails, phones and
    cities repeating as in a real base); rows/s per field set."""
    from piste.duplicates.fields import FIELDS
    from piste.duplicates.grouping import columns_of, group_rows

    rng = random.Random(20260101)
    firsts = ["Jean", "Marie", "Pierre", "Sophie", "Luc", "Anne", "Paul", "Julie", "Éric", "Léa"]
    lasts = [f"Nom{n}" for n in range(rows // 40 or 1)]
    companies = [f"Société {n} SARL" for n in range(rows // 4 or 1)]
    cities = [f"Ville {n}" for n in range(3000)]
    data = [
        {
            "first_name": rng.choice(firsts),
            "last_name": rng.choice(lasts),
            "enterprise_name": rng.choice(companies),
            "city_name": rng.choice(cities),
            "email_key": f"u{rng.randrange(rows * 5)}@x{rng.randrange(1000)}.fr",
            "fixed_phone": f"+3312{rng.randrange(10**7):07d}",
            "mobile_phone": "" if n % 2 else f"+3361{rng.randrange(10**7):07d}",
        }
        for n in range(rows)
    ]
    speeds: dict[str, float] = {}
    for keys in (["name", "company"], ["email"], ["phone"], ["name", "city"]):
        fields = [FIELDS["lead"][k] for k in keys]
        columns = columns_of(fields)
        table = [(n + 1, *(row[c] for c in columns)) for n, row in enumerate(data)]
        started = time.perf_counter()
        groups = group_rows(iter(table), fields)
        elapsed = time.perf_counter() - started
        speeds["+".join(keys)] = round(rows / elapsed)
        print(f"grouping {'+'.join(keys)}: {rows:,} rows in {elapsed:.2f} s, "
              f"{rows / elapsed:,.0f} rows/s, {len(groups):,} groups")  # fmt: skip
    return speeds


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    rows = int(os.environ.get("BENCH_DUPLICATE_SYNTHETIC", "0"))
    if rows:
        synthetic(rows)
        return 0
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("The duplicate scan benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    result = measure()
    print_summary({NAME: result})
    return 0 if meets_target(result) else 1


if __name__ == "__main__":
    sys.exit(main())
