"""Piste's own CSV template, for cities no official file covers.

UTF-8 (Windows-1252 accepted, as spreadsheets save it), ";" or "," separated, one header line
naming the columns (any order, "country" and "city" required):

``country;postal_code;city;insee_code;department_code;department;region_code;region;latitude;longitude``

One line per city and postal code: a city with two postal codes takes two lines. The file is
the authority for every value it gives; empty cells change nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from piste.geo.importers.base import (
    CODE_MAX,
    Format,
    Place,
    Policy,
    Reject,
    check_latitude,
    check_longitude,
    code_too_long,
    columns_reject,
    insee_problem,
    missing_name,
    postal_code_problem,
    split_csv,
)
from piste.geo.importers.files import FileProblem

COLUMNS = (
    "country",
    "postal_code",
    "city",
    "insee_code",
    "department_code",
    "department",
    "region_code",
    "region",
    "latitude",
    "longitude",
)
REQUIRED = ("country", "city")
HEADER = ";".join(COLUMNS)
EXAMPLE = (
    "FR;75001;Paris;75056;75;Paris;11;Île-de-France;48.856614;2.352222",
    "FR;01000;Bourg-en-Bresse;01053;01;Ain;84;Auvergne-Rhône-Alpes;46.205167;5.225500",
    "FR;01000;Saint-Denis-lès-Bourg;01344;01;Ain;84;Auvergne-Rhône-Alpes;;",
    "BE;1000;Bruxelles;;;;BRU;Bruxelles-Capitale;50.846557;4.351697",
)


class CsvTemplate(Format):
    code = "csv"
    encodings = ("utf-8", "cp1252")
    policy = Policy(
        region_names=True,
        department_names=True,
        department_region=True,
        city_names=True,
        city_links=True,
        coordinates=True,
        population=True,
        postal_labels=True,
    )

    def __init__(self, *, source: str, country: str = "") -> None:
        super().__init__(source=source, country=country)
        self.delimiter = ";"
        self.columns: dict[str, int] = {}
        self.width = 0

    def begin(self, text: str, line: int) -> bool:
        self.delimiter = "," if text.count(",") > text.count(";") else ";"
        names = [n.strip().lower() for n in split_csv(text, self.delimiter)]
        unknown = [n for n in names if n not in COLUMNS]
        missing = [n for n in REQUIRED if n not in names]
        if unknown or missing:
            raise FileProblem(
                _(
                    "Line %(line)d of “%(name)s” is not the header of Piste's CSV template "
                    "(%(header)s): %(problem)s."
                )
                % {
                    "line": line,
                    "name": self.source,
                    "header": HEADER,
                    "problem": (
                        _("unknown columns %(columns)s") % {"columns": ", ".join(unknown)}
                        if unknown
                        else _("missing columns %(columns)s") % {"columns": ", ".join(missing)}
                    ),
                }
            )
        self.columns = {name: index for index, name in enumerate(names)}
        self.width = len(names)
        return True

    def parse(self, text: str, line: int) -> Place | Reject | None:
        fields = split_csv(text, self.delimiter)
        if len(fields) != self.width:
            return columns_reject(len(fields), self.width)
        value = {name: fields[index].strip() for name, index in self.columns.items()}
        country = value["country"].upper()
        if len(country) != 2:
            return Reject(_("Invalid country code “%(code)s”") % {"code": country})
        city = value["city"]
        if not city:
            return missing_name()
        postal_code = value.get("postal_code", "")
        if postal_code:
            problem = postal_code_problem(country, postal_code)
            if problem is not None:
                return problem
        insee = value.get("insee_code", "").upper()
        if insee and country == "FR":
            problem = insee_problem(insee)
            if problem is not None:
                return problem
        elif len(insee) > 10:
            return code_too_long(insee)
        for code in (value.get("department_code", ""), value.get("region_code", "")):
            if len(code) > CODE_MAX:
                return code_too_long(code)
        latitude = check_latitude(value.get("latitude", ""))
        if type(latitude) is Reject:
            return latitude
        longitude = check_longitude(value.get("longitude", ""))
        if type(longitude) is Reject:
            return longitude
        return Place(
            country=country,
            city=city,
            insee=insee,
            region_code=value.get("region_code", ""),
            region_name=value.get("region", ""),
            department_code=value.get("department_code", ""),
            department_name=value.get("department", ""),
            latitude=latitude,  # type: ignore[arg-type]
            longitude=longitude,  # type: ignore[arg-type]
            postal_code=postal_code,
        )


def template_text() -> str:
    """The downloadable template: the header and the example lines."""
    return "\n".join((HEADER, *EXAMPLE)) + "\n"
