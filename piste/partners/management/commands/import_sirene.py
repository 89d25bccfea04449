"""`manage.py import_sirene FILE [FILE…]`: load INSEE's monthly SIRENE stock files into the local
lookup tables (``SireneUnit``, ``SireneEstablishment``), which the SIRENE lookup reads first.

Takes ``StockUniteLegale_utf8.zip`` and ``StockEtablissement_utf8.zip`` (from data.gouv.fr, dataset
"Base Sirene des entreprises et de leurs établissements"), zipped or not, in any order: the header
line tells which file is which, and columns are read by name (INSEE adds columns now and then).
Rows are upserted in batches, so a newer month's file updates the rows already there. A row whose
SIREN or SIRET fails its checksum is counted and skipped. Each file loads in one transaction: a file
that turns out unreadable halfway leaves the tables as they were before it.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db import DatabaseError, models, transaction

from piste.geo.importers.files import FileProblem, Source, inspect, read_lines
from piste.partners import identifiers
from piste.partners.models_sirene import SireneEstablishment, SireneUnit
from piste.partners.sirene import Fields, Get, establishment_values, unit_values

DEFAULT_BATCH = 2000
PROGRESS_EVERY = 500_000


@dataclass(frozen=True)
class Kind:
    label: str
    model: type[models.Model]
    key: str
    valid: Callable[[str], bool]
    values: Callable[[Get], dict[str, Any]]


UNITS = Kind("StockUniteLegale", SireneUnit, "siren", identifiers.siren_valid, unit_values)
ESTABLISHMENTS = Kind(
    "StockEtablissement",
    SireneEstablishment,
    "siret",
    identifiers.siret_valid,
    establishment_values,
)


def file_kind(header: list[str]) -> Kind | None:
    names = set(header)
    if "dateFin" in names:
        return None  # a *Historique file: several rows per unit, one per period
    if "siret" in names:
        return ESTABLISHMENTS
    if "siren" in names and any(name.endswith("UniteLegale") for name in names):
        return UNITS
    return None


@dataclass
class Counts:
    read: int = 0
    imported: int = 0
    skipped: int = 0


class Command(BaseCommand):
    help = (
        "Load SIRENE stock files (StockUniteLegale, StockEtablissement; .csv or .zip) into the "
        "local lookup tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="The files (.csv or .zip).")
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH, help="Rows per database statement."
        )

    @no_translations  # English output, whatever LANGUAGE_CODE says
    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # Every file is checked before any is loaded: a typo in the second name costs nothing.
        plan = [self._prepare(path) for path in options["files"]]
        for source, header, kind in plan:
            self._load(source, header, kind, batch_size)

    def _prepare(self, path: Path) -> tuple[Source, list[str], Kind]:
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            source = inspect(path, path.name)
            header = _header(source)
        except FileProblem as exc:
            raise CommandError(exc.message) from exc
        kind = file_kind(header)
        if kind is None:
            raise CommandError(
                f"{source.label}: the first line is not the header of a SIRENE StockUniteLegale "
                "or StockEtablissement file (comma-separated, with columns such as siren, siret, "
                "denominationUniteLegale)."
            )
        return source, header, kind

    def _load(self, source: Source, header: list[str], kind: Kind, batch_size: int) -> None:
        started = time.perf_counter()
        counts = Counts()
        try:
            with transaction.atomic():
                self._upsert(source, header, kind, batch_size, counts, started)
        except FileProblem as exc:
            raise CommandError(f"{exc.message} Nothing was imported from this file.") from exc
        except _BadLine as exc:
            raise CommandError(
                f"{source.label}, line {exc.line}: {exc.reason}. Nothing was imported from "
                "this file."
            ) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"{source.label}: the database refused the rows ({exc}). Nothing was imported "
                "from this file."
            ) from exc
        elapsed = time.perf_counter() - started
        rate = counts.read / elapsed if elapsed else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"{source.label} ({kind.label}): {counts.read:,} rows read, "
                f"{counts.imported:,} imported, {counts.skipped:,} skipped (invalid "
                f"{kind.key.upper()}) in {elapsed:.1f} s ({rate:,.0f} rows/s)."
            )
        )

    def _upsert(
        self,
        source: Source,
        header: list[str],
        kind: Kind,
        batch_size: int,
        counts: Counts,
        started: float,
    ) -> None:
        model = kind.model
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        limits = {
            f.name: f.max_length for f in model._meta.concrete_fields if f.max_length is not None
        }
        batch: dict[str, models.Model] = {}

        def flush() -> None:
            model._default_manager.bulk_create(
                batch.values(),
                update_conflicts=True,
                unique_fields=[kind.key],
                update_fields=[f.name for f in fields],
            )
            counts.imported += len(batch)
            batch.clear()

        lines = _Lines(source)
        reader = csv.reader(lines)
        next(reader)  # the header, read already
        try:
            for row in reader:
                if not any(row):
                    continue  # a blank line
                counts.read += 1
                get = Fields(dict(zip(header, row, strict=False)))
                if not kind.valid(get(kind.key)):
                    counts.skipped += 1
                    continue
                values = kind.values(get)
                for name, limit in limits.items():
                    if isinstance(values.get(name), str) and len(values[name]) > limit:
                        values[name] = values[name][:limit]
                # The last row of a number wins: one statement may not update a row twice.
                batch[values[kind.key]] = model(**values)
                if len(batch) >= batch_size:
                    flush()
                if counts.read % PROGRESS_EVERY == 0:
                    elapsed = time.perf_counter() - started
                    self.stdout.write(
                        f"{source.label}: {counts.read:,} rows read "
                        f"({counts.read / elapsed if elapsed else 0:,.0f} rows/s)"
                    )
        except csv.Error as exc:
            raise _BadLine(lines.number, str(exc)) from exc
        if batch:
            flush()


class _BadLine(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _Lines:
    """The file's lines for ``csv.reader``, counting them for error messages."""

    def __init__(self, source: Source) -> None:
        self._lines = read_lines(source, "utf-8")
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.number, text = next(self._lines)
        # PostgreSQL refuses NUL characters in text.
        return text.replace("\x00", "") if "\x00" in text else text


def _header(source: Source) -> list[str]:
    for _number, text in read_lines(source, "utf-8"):
        try:
            return [name.strip() for name in next(csv.reader([text]))]
        except (csv.Error, StopIteration):
            return []
    return []
