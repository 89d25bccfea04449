"""GeoNames cities dumps: FR.txt (in FR.zip), cities500/1000/5000/15000.txt, allCountries.txt.

UTF-8, tab-separated, no header, 19 columns (geonameid, name, asciiname, alternatenames,
latitude, longitude, feature class, feature code, country code, cc2, admin1, admin2, admin3,
admin4, population, elevation, dem, timezone, modification date). Only populated places
(feature class P) are cities.

France: admin1 is the INSEE region, admin2 the département, admin4 the INSEE commune code. A
commune has many populated places in the dump (its seat, and hamlets carrying its admin4): the
seat takes the commune's INSEE code, chosen as the place with the highest rank (PPLC, PPLA,
PPLA2…, then the largest population), so those lines are held until the end of the file; the
other places of the commune are skipped (a city referential lists communes, not hamlets).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from piste.geo.importers.base import (
    CODE_MAX,
    INSEE_COMMUNE,
    Format,
    Place,
    Policy,
    Reject,
    check_latitude,
    check_longitude,
    code_too_long,
    columns_reject,
    department_code,
    missing_name,
    parent_commune,
)

COLUMNS = 19
FEATURE_RANK = {"PPLC": 0, "PPLA": 1, "PPLA2": 2, "PPLA3": 3, "PPLA4": 4, "PPL": 5}


class GeonamesCities(Format):
    code = "geonames"
    policy = Policy(
        city_names=True, city_links=True, coordinates=True, population=True, geonames_id=True
    )

    def __init__(self, *, source: str, country: str = "") -> None:
        super().__init__(source=source, country=country)
        # INSEE code -> (rank, line, text, place) of the best place of that commune so far.
        self._communes: dict[str, tuple[tuple[int, int, int], int, str, Place]] = {}

    def begin(self, text: str, line: int) -> bool:
        found = len(text.split("\t"))
        if found != COLUMNS:
            raise self.wrong_columns(line, found, COLUMNS, _("the GeoNames cities format"))
        return False

    def parse(self, text: str, line: int) -> Place | Reject | None:
        fields = text.split("\t")
        if len(fields) != COLUMNS:
            return columns_reject(len(fields), COLUMNS)
        if fields[6] != "P":
            return None
        country = fields[8].strip().upper()
        if self.skipped_country(country):
            return None
        try:
            geonames_id = int(fields[0])
        except ValueError:
            return Reject(_("Invalid GeoNames id “%(value)s”") % {"value": fields[0]})
        name = fields[1].strip()
        if not name:
            return missing_name()
        latitude = check_latitude(fields[4])
        if type(latitude) is Reject:
            return latitude
        longitude = check_longitude(fields[5])
        if type(longitude) is Reject:
            return longitude
        population_text = fields[14].strip()
        if population_text and not population_text.isdigit():
            return Reject(_("Invalid population “%(value)s”") % {"value": population_text})
        admin1, admin2 = fields[10].strip(), fields[11].strip()
        department = department_code(country, admin1, admin2)
        if len(admin1) > CODE_MAX:
            return code_too_long(admin1)
        if len(department) > CODE_MAX:
            return code_too_long(department)
        insee = ""
        admin4 = fields[13].strip()
        if country == "FR" and INSEE_COMMUNE.match(admin4):
            insee = parent_commune(admin4)
        place = Place(
            country=country,
            city=name,
            insee=insee,
            geonames_id=geonames_id,
            region_code=admin1,
            department_code=department,
            latitude=latitude,  # type: ignore[arg-type]
            longitude=longitude,  # type: ignore[arg-type]
            population=min(int(population_text or 0), 2**31 - 1),
        )
        if not insee:
            return place
        rank = (FEATURE_RANK.get(fields[7], 9), -(place.population or 0), line)
        best = self._communes.get(insee)
        if best is None or rank < best[0]:
            self._communes[insee] = (rank, line, text, place)
        return None

    def finish(self) -> Iterable[tuple[int, str, Place | Reject]]:
        for _rank, line, text, place in sorted(self._communes.values(), key=lambda c: c[1]):
            yield line, text, place
        self._communes.clear()
