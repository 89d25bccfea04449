"""`manage.py import_cities --format FORMAT FILE [FILE…] [--country FR]`: a city import from the
command line, through the same service as the pages (recorded as a job, one transaction)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from piste.geo.importers import Counts, InputFile
from piste.geo.imports import city_import_create, city_import_execute
from piste.geo.models import CityImport, Country

KINDS = ("regions", "departments", "cities", "postal codes")


class Command(BaseCommand):
    help = (
        "Import regions, departments, cities and postal codes from GeoNames, INSEE COG, "
        "La Poste or Piste CSV files (all the files in one transaction)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            required=True,
            choices=CityImport.Format.values,
            help="geonames (cities dump, 19 columns), geonames-admin (admin1CodesASCII.txt, "
            "admin2Codes.txt), geonames-postal (12 columns), insee-cog (communes, departments "
            "or regions CSV), laposte (La Poste postal codes), csv (Piste template).",
        )
        parser.add_argument(
            "files", nargs="+", type=Path, help="The files (.txt, .csv or .zip), in order."
        )
        parser.add_argument(
            "--country",
            default="",
            help="ISO code: import only this country's lines (GeoNames files).",
        )

    @no_translations  # English output, whatever LANGUAGE_CODE says
    def handle(self, *args: Any, **options: Any) -> None:
        import_format: str = options["format"]
        paths: list[Path] = options["files"]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        country = None
        if options["country"]:
            country = Country.objects.filter(code=options["country"].upper()).first()
            if country is None:
                raise CommandError(f"Unknown country code {options['country']!r}.")
        try:
            job = city_import_create(
                actor=None,
                import_format=import_format,
                source=CityImport.Source.MANUAL,
                country=country,
                file_name=", ".join(p.name for p in paths)[:255],
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        started = time.monotonic()
        last = [0.0]
        counts = [Counts()]

        def listener(processed: int, total: int, batch_counts: Counts) -> None:
            counts[0] = batch_counts
            now = time.monotonic()
            if processed and processed < total and now - last[0] < 1:
                return
            last[0] = now
            self.stdout.write(
                f"{processed:,} / {total:,} lines read, {batch_counts.created:,} created, "
                f"{batch_counts.updated:,} updated, {batch_counts.rejected:,} rejected"
            )

        job = city_import_execute(
            job=job,
            files=[InputFile(path, path.name, import_format) for path in paths],
            listener=listener,
        )
        elapsed = time.monotonic() - started
        if job.report:
            try:
                where = job.report.path
            except NotImplementedError:  # a remote storage
                where = job.report.name
            self.stdout.write(f"Rejected lines: {where}")
        if job.status != CityImport.Status.DONE:
            raise CommandError(f"Import #{job.pk} {job.status}: {job.error}")
        for kind in KINDS:
            created, updated = counts[0].kinds.get(kind, (0, 0))
            if created or updated:
                self.stdout.write(f"{kind}: {created:,} created, {updated:,} updated")
        self.stdout.write(
            self.style.SUCCESS(
                f"Import #{job.pk} done in {elapsed:.1f} s: {job.processed_lines:,} lines, "
                f"{job.created_count:,} created, {job.updated_count:,} updated, "
                f"{job.rejected_count:,} rejected."
            )
        )
