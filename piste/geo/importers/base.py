"""What the city importers share: what a line says (``Place``), who decides what
(``Policy``), the base of a file format, the checks every format uses, and the job's counts and
rejected lines."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar, Protocol

from django.utils.translation import gettext as _

from piste.geo.importers.files import FileProblem

CODE_MAX = 20  # Region.code and Department.code

INSEE_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
FRENCH_POSTAL = re.compile(r"^\d{5}$")
OTHER_POSTAL = re.compile(r"^[0-9A-Za-z][0-9A-Za-z \-]{0,19}$")
# Countries whose postal codes are five digits (France and the territories it serves).
FIVE_DIGIT_POSTAL = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "MC"})
# Spaces, hyphens, apostrophes (straight and typographic) and dots.
_LOOSE = re.compile("[\\s\\-'\u2019.]+")

# Paris, Lyon and Marseille are split into municipal arrondissements (INSEE 75101…, 69381…,
# 13201…) that La Poste lists separately: their postal codes belong to the commune itself.
ARRONDISSEMENTS: dict[str, tuple[str, str]] = {
    **{f"751{n:02d}": ("75056", "Paris") for n in range(1, 21)},
    **{f"6938{n}": ("69123", "Lyon") for n in range(1, 10)},
    **{f"132{n:02d}": ("13055", "Marseille") for n in range(1, 17)},
}


def parent_commune(insee: str) -> str:
    """The commune of a municipal arrondissement's INSEE code (75101 -> 75056), else the code."""
    found = ARRONDISSEMENTS.get(insee)
    return found[0] if found else insee


def department_of_commune(insee: str) -> str:
    """The département code inside a French INSEE commune code: 75056 -> 75, 2A004 -> 2A,
    97411 -> 974."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def department_code(country: str, admin1: str, admin2: str) -> str:
    """A department's code from GeoNames admin codes.

    France's admin2 codes are its département numbers, unique in the country ("75"); elsewhere
    an admin2 code is unique only within its admin1 (United States counties: "001" in every
    state), so the code is "admin1.admin2" as in GeoNames' admin2Codes.txt.
    """
    if not admin2:
        return ""
    if country == "FR" or not admin1:
        return admin2
    return f"{admin1}.{admin2}"


def loose_key(name_key: str) -> str:
    return _LOOSE.sub(" ", name_key).strip()


# -- what a line says --------------------------------------------------------------------------


@dataclass(slots=True)
class Place:
    """What one line says about a place: a region, a department, or a city (and a postal code)."""

    country: str
    city: str = ""
    insee: str = ""
    geonames_id: int | None = None
    region_code: str = ""
    region_name: str = ""
    department_code: str = ""
    department_name: str = ""
    latitude: str = ""  # validated text, turned into a Decimal only when written
    longitude: str = ""
    population: int | None = None
    postal_code: str = ""
    postal_label: str = ""


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Policy:
    """The values a format is the authority for (overwritten); the others are only filled."""

    region_names: bool = False
    department_names: bool = False
    department_region: bool = False
    city_names: bool = False
    city_links: bool = False  # the city's department and region
    coordinates: bool = False
    population: bool = False
    geonames_id: bool = False
    postal_labels: bool = False
    # La Poste knows a département only by its number: it links to existing ones only.
    create_departments: bool = True


class Format:
    """One file format. ``begin`` checks the first line (raising FileProblem when the file is
    not in this format) and says whether it is a header; ``parse`` turns a line into a Place,
    a Reject, or None for a line skipped on purpose."""

    code: ClassVar[str]
    encodings: ClassVar[tuple[str, ...]] = ("utf-8",)
    policy: Policy = Policy()

    def __init__(self, *, source: str, country: str = "") -> None:
        self.source = source
        self.country = country.upper()

    def begin(self, text: str, line: int) -> bool:
        raise NotImplementedError

    def parse(self, text: str, line: int) -> Place | Reject | None:
        raise NotImplementedError

    def finish(self) -> Iterable[tuple[int, str, Place | Reject]]:
        """Lines held back until the end of the file: (line number, text, place)."""
        return ()

    # Helpers shared by the formats.

    def wrong_columns(self, line: int, found: int, expected: int, what: str) -> FileProblem:
        return FileProblem(
            _(
                "Line %(line)d of “%(name)s” has %(found)d columns where %(what)s has "
                "%(expected)d: is it the right file and format?"
            )
            % {
                "line": line,
                "name": self.source,
                "found": found,
                "expected": expected,
                "what": what,
            }
        )

    def skipped_country(self, country: str) -> bool:
        return bool(self.country) and country != self.country


def columns_reject(found: int, expected: int) -> Reject:
    return Reject(
        _("%(found)d columns instead of %(expected)d") % {"found": found, "expected": expected}
    )


def split_csv(text: str, delimiter: str) -> list[str]:
    return next(csv.reader((text,), delimiter=delimiter), [])


def check_coordinate(value: str, limit: int) -> str | Reject:
    """``value`` when it is a number within +/-limit (or empty), else the line's Reject."""
    if not value:
        return ""
    try:
        if -limit <= float(value) <= limit:
            return value.strip()
    except ValueError:
        pass
    value = value.strip()
    if not value:
        return ""
    if limit == 90:
        return Reject(_("Invalid latitude “%(value)s”") % {"value": value})
    return Reject(_("Invalid longitude “%(value)s”") % {"value": value})


def check_latitude(value: str) -> str | Reject:
    return check_coordinate(value, 90)


def check_longitude(value: str) -> str | Reject:
    return check_coordinate(value, 180)


def postal_code_problem(country: str, code: str) -> Reject | None:
    pattern = FRENCH_POSTAL if country in FIVE_DIGIT_POSTAL else OTHER_POSTAL
    if pattern.match(code):
        return None
    if not code:
        return Reject(_("Missing postal code"))
    return Reject(_("Invalid postal code “%(code)s”") % {"code": code})


def insee_problem(code: str) -> Reject | None:
    if INSEE_COMMUNE.match(code):
        return None
    return Reject(_("Invalid INSEE code “%(code)s”") % {"code": code})


def missing_name() -> Reject:
    return Reject(_("Missing city name"))


def code_too_long(code: str) -> Reject:
    return Reject(
        _("Code “%(code)s” longer than %(max)d characters") % {"code": code, "max": CODE_MAX}
    )


# -- the job's input and output ----------------------------------------------------------------


@dataclass(frozen=True)
class InputFile:
    path: Path
    name: str
    format: str


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    imported_lines: int = 0
    # created/updated per kind: "regions", "departments", "cities", "postal codes"
    kinds: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, created: int = 0, updated: int = 0) -> None:
        pair = self.kinds.setdefault(kind, [0, 0])
        pair[0] += created
        pair[1] += updated
        self.created += created
        self.updated += updated


class Progress(Protocol):
    def begin(self, total_lines: int) -> None: ...

    def tick(self, processed_lines: int, counts: Counts) -> None:
        """Called between batches; may raise to stop the job (cancel)."""


# A spreadsheet takes a cell starting with one of these for a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it, never run as a formula (the lines come from files
    anyone may have written)."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


class RejectLog:
    """The rejected lines, as a CSV file (UTF-8 with BOM and ";" so that a spreadsheet opens it
    right): file, line, reason, the line as read (a quote before a line that would start a
    formula)."""

    def __init__(self, stream: IO[str]) -> None:
        self.count = 0
        self._writer = csv.writer(stream, delimiter=";")
        self._writer.writerow([_("file"), _("line"), _("reason"), _("content")])

    def add(self, source: str, line: int, reason: str, text: str) -> None:
        self.count += 1
        self._writer.writerow(
            [spreadsheet_safe(source), line, spreadsheet_safe(reason), spreadsheet_safe(text)]
        )
