"""Import speed of the import wizard for leads, on PostgreSQL.

Generates a CSV of ``BENCH_LEAD_IMPORT_ROWS`` rows (100,000 by default) as a French spreadsheet
saves it: Windows-1252, ``;`` delimiter, French headers (Nom, Prénom, Société, Email, Téléphone,
Code postal, Ville, Source); then runs the import service on it (mapping guessed from the
headers, matching on email, create-or-update) in a company of its own, twice: a first import
(everything created; each 50th row repeats an earlier email, skipped as an in-file duplicate)
and a re-import of the same people with a new phone each (everything found again by email and
updated). The import runs as the job consumer runs it: on PostgreSQL in ``IMPORT_WORKERS``
processes (the machine's cores, at most 4). The target is 10,000 rows/s for the first,
timed from the job's start to its end (row count, validation, matching, writes, timeline lines,
undo records).

The bench company and everything it holds are deleted before and after.

Standalone: ``DATABASE_URL=postgres://… uv run python bench/import_leads_speed.py``. Prints
rows/s; exits 1 under the target. ``make bench`` runs it after the page scenarios.
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
NAME = "lead_import_csv"
TARGET_ROWS_PER_S = 10_000
COMPANY = "Bench import de pistes"
FIRST = ["Jean", "Marie", "Pierre", "Hélène", "François", "Cécile", "Jérôme", "Zoé", "Loïc"]
LAST = ["Dupont", "Lefèvre", "Müller", "Côté", "Bérénice", "Garçon", "Noël", "Août", "Leroy"]
CITIES = ["Paris", "Lyon", "Besançon", "Orléans", "Nîmes", "Saint-Étienne", "Angoulême"]


def generate(path: Path, rows: int, changed: bool = False) -> None:
    """The file; ``changed``: the same people with a new phone number each (a re-import that
    updates every row, the worst case: each update moves the phone and search indexes)."""
    rng = random.Random(20260101)
    area = "04" if changed else "01"
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write("Nom;Prénom;Société;Email;Téléphone;Code postal;Ville;Source\r\n")
        for i in range(rows):
            n = i - 1 if i % 50 == 49 else i  # in-file duplicate email
            out.write(
                f"{rng.choice(LAST)};{rng.choice(FIRST)};Société {i % 5000} SARL;"
                f"contact.{n}@exemple-{n % 997}.fr;{area} {i % 90 + 10} {i % 80 + 10} "
                f"{i % 70 + 10} {i % 60 + 10};{75000 + i % 20};{rng.choice(CITIES)};"
                f"{'Salon' if i % 3 else 'Site web'}\r\n"
            )


def reset() -> None:
    from django.db import connection, models

    from piste.users.models import Company

    company = Company.objects.filter(name=COMPANY).first()
    if company is None:
        return
    with connection.cursor() as cursor:
        cid = company.pk
        cursor.execute(
            "DELETE FROM imports_importrecord WHERE job_id IN "
            "(SELECT id FROM imports_importjob WHERE company_id = %s)",
            [cid],
        )
        cursor.execute("DELETE FROM imports_importjob WHERE company_id = %s", [cid])
        cursor.execute("DELETE FROM imports_importmapping WHERE company_id = %s", [cid])
        cursor.execute("DELETE FROM core_activity WHERE company_id = %s", [cid])
        cursor.execute(
            "CREATE TEMP TABLE bench_addresses AS SELECT address_id AS id FROM leads_lead "
            "WHERE company_id = %s AND address_id IS NOT NULL",
            [cid],
        )
        cursor.execute("DELETE FROM leads_lead WHERE company_id = %s", [cid])
        cursor.execute("DELETE FROM geo_address WHERE id IN (SELECT id FROM bench_addresses)")
        cursor.execute("DROP TABLE bench_addresses")
    from piste.users.models import Membership, User

    users = list(User.objects.filter(memberships__company=company))
    Membership.objects.filter(company=company).delete()
    for user in users:
        user.delete()
    # The statuses, sources and stages the company was given protect it: they go first.
    for relation in Company._meta.get_fields(include_hidden=True):
        if (
            isinstance(relation, models.ForeignObjectRel)
            and relation.on_delete is models.PROTECT
            and not relation.many_to_many
        ):
            held = relation.related_model._default_manager.filter(  # type: ignore[union-attr]
                **{relation.field.name: company}
            )
            if held.exists():  # the timeline (emptied above) refuses even an empty delete
                held.delete()
    try:
        company.delete()
    except Exception as exc:  # something else holds it: left for the next run
        print(f"lead import: could not delete the bench company ({exc})", file=sys.stderr)


def setup() -> Any:
    from piste.core.access import actor_for
    from piste.core.rights import Role
    from piste.core.testing import make_company, make_user
    from piste.leads.models import LeadSource
    from piste.users.models import Company

    company = Company.objects.filter(name=COMPANY).first() or make_company(COMPANY)
    user = make_user(f"bench-import-{os.getpid()}", company, Role.ADMINISTRATOR)
    for name in ("Salon", "Site web"):
        LeadSource.objects.get_or_create(company=company, name=name, defaults={"name_key": ""})
    for source in LeadSource.objects.filter(company=company):
        source.save()
    return actor_for(user)


def run_once(actor: Any, path: Path) -> tuple[float, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from piste.imports.models import ImportJob
    from piste.imports.services import import_configure, import_run, import_start, import_upload

    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
    job = import_upload(actor=actor, entity="leads", upload=upload)
    job = import_configure(
        actor=actor,
        job=job,
        mapping=job.mapping,
        defaults={},
        match_on="email",
        mode=ImportJob.Mode.BOTH,
    )
    import_start(actor=actor, job=job, enqueue=False)
    started = time.perf_counter()
    job = import_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    if job.status != ImportJob.Status.DONE:
        raise RuntimeError(f"the import ended {job.status}: {job.error}")
    return elapsed, job


def measure() -> dict[str, Any]:
    rows = int(os.environ.get("BENCH_LEAD_IMPORT_ROWS", "100000"))
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    workers = settings.IMPORT_WORKERS
    from piste.imports.parallel import prepare

    prepare()  # as the job consumer does when it starts
    print(f"lead import: {workers} process(es), PostgreSQL shared_buffers {shared_buffers}")
    with tempfile.TemporaryDirectory(prefix="piste-bench-leads-") as folder:
        path = Path(folder) / "pistes.csv"
        generate(path, rows)
        again_path = Path(folder) / "pistes-2.csv"
        generate(again_path, rows, changed=True)
        reset()
        try:
            actor = setup()
            first, job = run_once(actor, path)
            print(
                f"lead import: first import {first:.1f} s, {rows / first:,.0f} rows/s "
                f"({job.created_count:,} created, {job.skipped_count:,} skipped, "
                f"{job.error_count:,} errors)",
                flush=True,
            )
            second, again = run_once(actor, again_path)
            print(
                f"lead import: re-import {second:.1f} s, {rows / second:,.0f} rows/s "
                f"({again.created_count:,} created, {again.updated_count:,} updated, "
                f"{again.skipped_count:,} skipped)",
                flush=True,
            )
        finally:
            reset()
    return {
        "rows": rows,
        "seconds": round(first, 2),
        "rows_per_s": round(rows / first),
        "reimport_seconds": round(second, 2),
        "reimport_rows_per_s": round(rows / second),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "workers": workers,
        "shared_buffers": shared_buffers,
        "created": job.created_count,
        "skipped": job.skipped_count,
    }


def meets_target(result: dict[str, Any]) -> bool:
    return result.get("rows_per_s", 0) >= result.get("target_rows_per_s", 0)


def print_summary(results: dict[str, dict[str, Any]]) -> None:
    result = results.get(NAME)
    if result is None:
        return
    verdict = "PASS" if meets_target(result) else "FAIL"
    print(
        f"{NAME}: {result['rows_per_s']:,} rows/s (target {result['target_rows_per_s']:,}), "
        f"re-import {result['reimport_rows_per_s']:,} rows/s, {result.get('workers', 1)} "
        f"process(es), shared_buffers {result.get('shared_buffers', '?')}  {verdict}"
    )


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print("The lead import benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
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
