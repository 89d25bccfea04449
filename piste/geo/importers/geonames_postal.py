"""GeoNames postal codes (download.geonames.org/export/zip/: FR.zip, allCountries.zip).

UTF-8, tab-separated, no header, 12 columns: country code, postal code, place name, admin name1,
admin code1, admin name2, admin code2, admin name3, admin code3, latitude, longitude, accuracy.

No INSEE code and no GeoNames id: a place is found by (country, department = admin code2, name).
Two lines with the same place and department and different codes are one city with two postal
codes; one line per city sharing a code is a postal code shared by those cities. This format
fills what is missing (a new city, coordinates a city lacks) but renames nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from piste.geo.importers.base import (
    CODE_MAX,
    FIVE_DIGIT_POSTAL,
    FRENCH_POSTAL,
    OTHER_POSTAL,
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
    postal_code_problem,
)

COLUMNS = 12


class GeonamesPostal(Format):
    code = "geonames-postal"
    policy = Policy()

    def begin(self, text: str, line: int) -> bool:
        found = len(text.split("\t"))
        if found != COLUMNS:
            raise self.wrong_columns(line, found, COLUMNS, _("the GeoNames postal codes format"))
        return False

    def parse(self, text: str, line: int) -> Place | Reject | None:
        # The hot path of the largest imports (a million lines): unpacked once, checked inline.
        fields = text.split("\t")
        if len(fields) != COLUMNS:
            return columns_reject(len(fields), COLUMNS)
        country, code, name, name1, code1, name2, code2, _n3, _c3, lat, lon, _acc = fields
        country = country.upper()
        if self.country and country != self.country:
            return None
        code = code.strip()
        if not (FRENCH_POSTAL if country in FIVE_DIGIT_POSTAL else OTHER_POSTAL).match(code):
            return postal_code_problem(country, code)
        name = name.strip()
        if not name:
            return missing_name()
        try:
            valid = (not lat or -90 <= float(lat) <= 90) and (not lon or -180 <= float(lon) <= 180)
        except ValueError:
            valid = False
        if not valid:
            for checked in (check_latitude(lat), check_longitude(lon)):
                if isinstance(checked, Reject):
                    return checked
        code1 = code1.strip()
        department = department_code(country, code1, code2.strip())
        if len(department) > CODE_MAX or len(code1) > CODE_MAX:
            return code_too_long(department if len(department) > CODE_MAX else code1)
        return Place(
            country=country,
            city=name,
            region_code=code1,
            region_name=name1.strip() if code1 else "",
            department_code=department,
            department_name=name2.strip() if department else "",
            latitude=lat.strip(),
            longitude=lon.strip(),
            postal_code=code,
        )
