"""`manage.py generate_cities`: a large made-up city referential, for `make bench`.

The first 40,000 cities (fewer when ``--size`` is smaller) are French-like: names in the French
manner (one in eight a "Saint-…"), a department each, five-digit postal codes of that department,
many shared by several cities as La Poste's are, a few cities with several codes. The rest spread
over other countries with four- or five-digit codes. Populations follow a long tail.

Generated cities carry a negative GeoNames id (real ones are positive): ``--reset`` deletes those
and their postal codes only, never an imported city. Regions and departments it needs are created
when missing and kept. On PostgreSQL rows go in through COPY, then ``VACUUM (ANALYZE)``; on SQLite
through batched ``bulk_create`` (small sizes only).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from piste.core.management.commands.generate_dataset import _insert
from piste.core.text import fold
from piste.geo.models import Address, City, Country, Department, PostalCode, Region

FRENCH_CITIES = 40_000
SEED = 20260102
# Other countries of the generated referential (the French part aside), with their code length.
OTHER_COUNTRIES = {
    "DE": 5, "ES": 5, "IT": 5, "US": 5, "MX": 5, "BR": 5, "PL": 5, "TR": 5,
    "BE": 4, "CH": 4, "AT": 4, "DK": 4, "NO": 4, "AU": 4, "ZA": 4, "PH": 4,
}  # fmt: skip
FRENCH_DEPARTMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
SAINTS = (
    "Martin", "Jean", "Pierre", "Germain", "Laurent", "Denis", "Étienne", "Julien", "Hilaire",
    "Aubin", "Georges", "Maurice", "Michel", "Vincent", "Sulpice", "Médard", "Rémy", "Ouen",
    "Cyr", "Genès", "Hippolyte", "Symphorien", "Amand", "Léger",
)  # fmt: skip
SAINTES = ("Marie", "Anne", "Colombe", "Foy", "Croix", "Gemme", "Radegonde", "Eulalie")
FIRST = (
    "Mont", "Val", "Bel", "Beau", "Vil", "Cham", "Bourg", "Mar", "Ro", "Lan", "Ger", "Neu",
    "Chà", "Fon", "Lon", "Ver", "Cor", "Bar", "Sau", "Ar", "Or", "Bre", "Pla", "Tour",
    "Cler", "Gra", "Mé", "Roche", "Saul", "Bois", "Pont", "Vau", "Ma", "La", "Ri", "Lu",
)  # fmt: skip
MIDDLE = ("", "", "", "re", "ti", "li", "ga", "na", "ver", "lo", "ba", "mi", "ne", "ro", "che")
LAST = (
    "ville", "court", "ac", "ay", "euil", "ieu", "y", "on", "ans", "ières", "ay", "oux",
    "ange", "ennes", "ins", "aix", "et", "ot", "ard", "eaux", "ès", "igny", "ers", "eil",
)  # fmt: skip
ARTICLES = ("Le ", "La ", "Les ", "L'")
SUFFIXES = (
    "-sur-Loire", "-sur-Mer", "-sur-Seine", "-en-Bresse", "-le-Château", "-les-Bains",
    "-sous-Bois", "-la-Forêt", "-le-Grand", "-le-Petit", "-en-Vexin", "-sur-Marne",
)  # fmt: skip
# Real names the bench asks for: a query always finds them, whatever the seed.
LANDMARKS = (
    ("Paris", "75", 2_100_000, [f"750{n:02d}" for n in range(1, 21)]),
    ("Montreuil", "93", 111_000, ["93100"]),
    ("Montreuil-Bellay", "49", 4_000, ["49260"]),
    ("Saint-Denis", "93", 113_000, ["93200", "93210"]),
    ("Saint-Étienne", "42", 173_000, ["42000", "42100"]),
)


class Command(BaseCommand):
    help = "Generate a made-up city referential with postal codes (bench data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=FRENCH_CITIES, help="Cities to create.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the cities generated before first."
        )

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        size = options["size"]
        if size < 0:
            raise CommandError("Sizes cannot be negative.")
        started = time.perf_counter()
        existing = generated_cities().count()
        if existing and not options["reset"]:
            raise CommandError(
                f"{existing:,} generated cities are there already: add --reset to replace them."
            )
        if options["reset"]:
            t0 = time.perf_counter()
            deleted = _delete_generated()
            self.stdout.write(
                f"reset: {deleted:,} generated cities deleted in {time.perf_counter() - t0:.1f} s"
            )
        countries = _countries()
        departments = _french_departments(countries["FR"])
        with transaction.atomic():
            # Ids chosen here, so postal codes point at their city without reading ids back.
            first_id = (City.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1

            def places() -> Iterator[tuple[Row, list[Row]]]:
                # The same seed gives the same places: one pass per table, nothing held in memory.
                return _places(size, first_id, countries, departments)

            self._timed("cities", City, size, lambda: (city for city, _ in places()))
            n_codes = sum(len(codes) for _, codes in places())
            self._timed(
                "postal codes",
                PostalCode,
                n_codes,
                lambda: (code for _, codes in places() for code in codes),
            )
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [City, PostalCode]):
                    cursor.execute(sql)
        self._analyse(City, PostalCode)
        self.stdout.write(
            self.style.SUCCESS(
                f"{size:,} cities and {n_codes:,} postal codes ready in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )

    def _timed(self, label: str, model: type[models.Model], count: int, rows: Any) -> None:
        t0 = time.perf_counter()
        _insert(model, rows())
        loaded = time.perf_counter() - t0
        rate = count / loaded if loaded else 0
        self.stdout.write(f"{label}: {count:,} rows in {loaded:.1f} s ({rate:,.0f} rows/s)")

    def _analyse(self, *models_: type[models.Model]) -> None:
        if connection.vendor != "postgresql":
            return
        # As generate_dataset: VACUUM outside a transaction (visibility map), ANALYZE within one.
        maintenance = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            for model in models_:
                cursor.execute(f"{maintenance} {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(f"{maintenance}: {time.perf_counter() - t0:.1f} s")


def generated_cities() -> models.QuerySet[City]:
    return City.objects.filter(geonames_id__lt=0)


def _delete_generated() -> int:
    """Delete the generated cities in three statements (Django's collector would load them all)."""
    quote = connection.ops.quote_name
    city, postal = quote(City._meta.db_table), quote(PostalCode._meta.db_table)
    with transaction.atomic():
        generated = generated_cities()
        # Addresses keep their typed text when their city goes (what SET_NULL would do).
        Address.objects.filter(city__in=generated).update(city=None)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {postal} WHERE city_id IN "  # noqa: S608 (table names only)
                f"(SELECT id FROM {city} WHERE geonames_id < 0)"
            )
            cursor.execute(f"DELETE FROM {city} WHERE geonames_id < 0")  # noqa: S608
            return cursor.rowcount


def _countries() -> dict[str, Country]:
    wanted = ["FR", *OTHER_COUNTRIES]
    found = {c.code: c for c in Country.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in found:  # the migrations load every ISO country; a flushed test DB may not
            found[code] = Country.objects.create(code=code, name_fr=code, name_en=code)
    return found


def _french_departments(france: Country) -> dict[str, Department]:
    region, _ = Region.objects.get_or_create(
        country=france, code="BENCH", defaults={"name": "Région générée"}
    )
    existing = {d.code: d for d in Department.objects.filter(country=france)}
    for code in FRENCH_DEPARTMENTS:
        if code not in existing:
            existing[code] = Department.objects.create(
                country=france, region=region, code=code, name=f"Département {code}"
            )
    return existing


def _french_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        name = f"Saint-{rng.choice(SAINTS)}"
    elif roll < 0.15:
        name = f"Sainte-{rng.choice(SAINTES)}"
    else:
        name = rng.choice(FIRST) + rng.choice(MIDDLE) + rng.choice(LAST)
        if roll < 0.22:
            article = rng.choice(ARTICLES)
            name = article + (name if article.endswith(" ") else name.lower())
    if rng.random() < 0.3:
        name += rng.choice(SUFFIXES)
    return name


def _other_name(rng: random.Random) -> str:
    name = rng.choice(FIRST) + rng.choice(MIDDLE) + rng.choice(MIDDLE) + rng.choice(LAST)
    return name.capitalize()


def _population(rng: random.Random) -> int:
    # Most places are villages; a few are large (Pareto tail).
    return min(int(150 * rng.paretovariate(1.1)), 3_000_000)


Row = dict[str, Any]


def _places(
    size: int, first_id: int, countries: dict[str, Country], departments: dict[str, Department]
) -> Iterator[tuple[Row, list[Row]]]:
    """(city row, its postal code rows), ``size`` times, always the same for the same arguments."""
    rng = random.Random(SEED)  # noqa: S311 (made-up data)
    now = timezone.now()
    france = countries["FR"]
    others = [(countries[code], length) for code, length in OTHER_COUNTRIES.items()]
    dept_codes = list(departments)

    def city(i: int, name: str, country: Country, department: Department | None, pop: int) -> Row:
        return {
            "id": first_id + i,
            "name": name,
            "name_key": fold(name),
            "country_id": country.pk,
            "department_id": department.pk if department else None,
            "region_id": department.region_id if department else None,
            "insee_code": "",
            # Negative: marks a generated city (GeoNames ids are positive).
            "geonames_id": -(first_id + i),
            "latitude": None,
            "longitude": None,
            "population": pop,
            "updated_at": now,
        }

    def postal(i: int, country: Country, code: str) -> Row:
        return {"country_id": country.pk, "code": code, "city_id": first_id + i, "label": ""}

    for i in range(size):
        if i < len(LANDMARKS):
            name, dept, pop, landmark_codes = LANDMARKS[i]
            yield (
                city(i, name, france, departments[dept], pop),
                [postal(i, france, code) for code in landmark_codes],
            )
        elif i < FRENCH_CITIES:
            dept = rng.choice(dept_codes)
            prefix = "20" if dept in ("2A", "2B") else dept
            # About 65 codes per department: most codes serve several cities, as in France; one
            # city in twenty has two or three codes.
            count = 1 if rng.random() < 0.95 else rng.randint(2, 3)
            suffixes = rng.sample(range(0, 1000, 15), count)
            yield (
                city(i, _french_name(rng), france, departments[dept], _population(rng)),
                [postal(i, france, f"{prefix}{n:03d}") for n in suffixes],
            )
        else:
            country, length = others[i % len(others)]
            code = str(rng.randrange(10 ** (length - 1), 10**length))
            yield (
                city(i, _other_name(rng), country, None, _population(rng)),
                [postal(i, country, code)],
            )
