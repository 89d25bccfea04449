"""Import speed of the city import for the GeoNames postal-code format, on PostgreSQL.

Generates a file of ``BENCH_IMPORT_LINES`` lines (1,000,000 by default) in the GeoNames postal
format (12 tab-separated columns): about 40,000 cities over 100 departments and 13 regions, each
city with several postal codes, each code shared by several cities of its department; then runs
the import service on it twice, as ``manage.py import_cities`` does: a first import (everything
created) and a re-import (everything found again). The target is 50,000 lines/s for the first.

The lines name a country of their own (``BENCH_IMPORT_COUNTRY``, TF, French Southern Territories,
by default) whose regions, departments, cities and postal codes the bench deletes before and
after: whatever else the database holds is left alone.

Standalone: ``DATABASE_URL=postgres://… uv run python bench/import_speed.py``; ``make bench``
runs it after the page scenarios (bench/run.py) and adds its result to latest.json as
``city_import_geonames_postal``: ``lines_per_s`` (the first import, from the job's creation to
its commit) against ``target_lines_per_s``, ``reimport_lines_per_s``, and p50/p95/p99 of the
time one batch of 20,000 lines takes (``n`` batches) against ``target_p95_ms``, the time a batch
may take at the target rate (400 ms).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "city_import_geonames_postal"
TARGET_LINES_PER_S = 50_000
DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B", "971", "972", "973"]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
CITIES_PER_DEPARTMENT = 400
PREFIXES = ["", "Saint-", "Sainte-", "Le ", "La ", "Les ", "Villeneuve-", "Mont-"]
ROOTS = [
    "Amand", "Aubin", "Bernard", "Blaise", "Brice", "Cyr", "Denis", "Étienne", "Firmin", "Genès",
    "Georges", "Germain", "Hilaire", "Jacques", "Jean", "Julien", "Just", "Laurent", "Léger",
    "Lô", "Loup", "Lucien", "Marcel", "Martin", "Maurice", "Médard", "Michel", "Nazaire",
    "Omer", "Ouen", "Paul", "Pierre", "Privat", "Quentin", "Rémy", "Romain", "Saturnin",
    "Sauveur", "Sever", "Sulpice", "Symphorien", "Thibault", "Trivier", "Urbain", "Valentin",
    "Vallier", "Victor", "Vincent", "Yrieix", "Zacharie",
]  # fmt: skip
SUFFIXES = ["", "-sur-Loire", "-en-Bresse", "-lès-Bains", "-du-Bois", "-de-Mer"]
SEED = 20260101


def postal_prefix(department: str) -> str:
    return "20" if department in ("2A", "2B") else department


def generate(path: Path, lines: int, country: str) -> int:
    """Write ``lines`` lines; returns the number of cities they name."""
    rng = random.Random(SEED)
    per_department = max(1, lines // len(DEPARTMENTS))
    cities = 0
    written = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for d, department in enumerate(DEPARTMENTS):
            region = REGIONS[d % len(REGIONS)]
            count = per_department if d < len(DEPARTMENTS) - 1 else lines - written
            n_cities = min(CITIES_PER_DEPARTMENT, count)
            cities += n_cities
            # Unique in the department (prefix x root), repeated across departments.
            names = [
                f"{PREFIXES[i % len(PREFIXES)]}{ROOTS[(i // len(PREFIXES)) % len(ROOTS)]}"
                f"{SUFFIXES[(d + i) % len(SUFFIXES)]}"
                + (f" {i // (len(PREFIXES) * len(ROOTS)) + 1}" if i >= 400 else "")
                for i in range(n_cities)
            ]
            places = [
                (
                    name,
                    f"{43 + rng.random() * 6:.4f}",
                    f"{-1 + rng.random() * 8:.4f}",
                )
                for name in names
            ]
            prefix = postal_prefix(department)
            span = 10 ** (5 - len(prefix))
            rows = []
            for j in range(count):
                city = j % n_cities
                # Each city gets codes j // n_cities apart; each code serves about ten cities.
                code = f"{prefix}{((j // n_cities) * 37 + city) % span:0{5 - len(prefix)}d}"
                rows.append((code, city))
            rows.sort()
            for code, city in rows:
                name, latitude, longitude = places[city]
                out.write(
                    f"{country}\t{code}\t{name}\tRégion {region}\t{region}\t"
                    f"Département {department}\t{department}\t{name}\t{department}1\t"
                    f"{latitude}\t{longitude}\t4\n"
                )
            written += count
    return cities


def reset(country: str) -> None:
    """Delete the bench country's geography (and the bench's import jobs)."""
    from django.db import connection, transaction

    from piste.geo.models import City, CityImport, Country, Department, PostalCode, Region

    country_id = Country.objects.get(code=country).pk
    with transaction.atomic():
        PostalCode.objects.filter(country_id=country_id)._raw_delete(connection.alias)
        City.objects.filter(country_id=country_id).delete()
        Department.objects.filter(country_id=country_id).delete()
        Region.objects.filter(country_id=country_id).delete()
        CityImport.objects.filter(file_name__startswith="bench-postal-").delete()
    # A million rows inserted then deleted leave as many dead tuples: without a vacuum the next
    # bench run's city autocomplete reads them (about twice as slow) until autovacuum passes.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) geo_city, geo_postalcode, geo_department, geo_region")


def run_once(path: Path) -> tuple[float, list[float], Any]:
    """Import ``path`` through the services; (seconds, batch durations in ms, job)."""
    from piste.geo.importers import InputFile
    from piste.geo.imports import city_import_create, city_import_execute
    from piste.geo.models import CityImport

    batches: list[float] = []
    last = [0.0]

    def listener(processed: int, total: int, counts: Any) -> None:
        now = time.perf_counter()
        if processed and processed % 20_000 == 0:
            batches.append((now - last[0]) * 1000)
        last[0] = now

    started = time.perf_counter()
    job = city_import_create(
        actor=None,
        import_format=CityImport.Format.GEONAMES_POSTAL,
        source=CityImport.Source.MANUAL,
        file_name=path.name,
        enqueue=False,
    )
    job = city_import_execute(
        job=job,
        files=[InputFile(path, path.name, CityImport.Format.GEONAMES_POSTAL)],
        listener=listener,
    )
    elapsed = time.perf_counter() - started
    if job.status != CityImport.Status.DONE:
        raise RuntimeError(f"the import ended {job.status}: {job.error}")
    return elapsed, batches, job


def measure() -> dict[str, Any]:
    """Generate the file, import it twice, clean up; the result entry for latest.json."""
    from bench.run import percentile

    lines = int(os.environ.get("BENCH_IMPORT_LINES", "1000000"))
    country = os.environ.get("BENCH_IMPORT_COUNTRY", "TF")
    with tempfile.TemporaryDirectory(prefix="piste-bench-import-") as folder:
        path = Path(folder) / f"bench-postal-{country}.txt"
        t0 = time.perf_counter()
        cities = generate(path, lines, country)
        print(
            f"city import: generated {lines:,} lines ({cities:,} cities, "
            f"{path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        reset(country)
        try:
            first, batches, job = run_once(path)
            print(
                f"city import: first import {first:.1f} s, {lines / first:,.0f} lines/s "
                f"({job.created_count:,} rows created)",
                flush=True,
            )
            second, _batches, again = run_once(path)
            print(
                f"city import: re-import {second:.1f} s, {lines / second:,.0f} lines/s "
                f"({again.created_count:,} created, {again.updated_count:,} updated)",
                flush=True,
            )
        finally:
            reset(country)
    batch_target_ms = 20_000 / TARGET_LINES_PER_S * 1000
    samples = batches or [first * 1000]
    return {
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "n": len(samples),
        "target_p95_ms": batch_target_ms,
        "lines": lines,
        "seconds": round(first, 2),
        "lines_per_s": round(lines / first),
        "reimport_seconds": round(second, 2),
        "reimport_lines_per_s": round(lines / second),
        "target_lines_per_s": TARGET_LINES_PER_S,
        "created": job.created_count,
        "reimport_updated": again.updated_count,
    }


def meets_target(result: dict[str, Any]) -> bool:
    """The import's lines/s against its target (True for entries without one: the pages)."""
    return result.get("lines_per_s", 0) >= result.get("target_lines_per_s", 0)


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    result = results.get(NAME)
    if result:
        verdict = "PASS" if meets_target(result) else "FAIL"
        print(
            f"{NAME}: {result['lines_per_s']:,} lines/s (target {result['target_lines_per_s']:,}), "
            f"re-import {result['reimport_lines_per_s']:,} lines/s  {verdict}"
        )


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("The import benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    result = measure()
    print_summary({NAME: result})
    return 0 if meets_target(result) else 1


if __name__ == "__main__":
    sys.exit(main())
