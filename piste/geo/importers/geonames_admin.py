"""GeoNames admin code files: admin1CodesASCII.txt (regions) and admin2Codes.txt (departments).

UTF-8, tab-separated, no header, 4 columns: code, name, ASCII name, geonameid. The code is
"FR.11" (country.admin1) in the first file, "FR.11.75" (country.admin1.admin2) in the second;
both kinds may come in one file.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from piste.geo.importers.base import (
    CODE_MAX,
    Format,
    Place,
    Policy,
    Reject,
    code_too_long,
    columns_reject,
    department_code,
)
from piste.geo.importers.files import FileProblem

COLUMNS = 4
ADMIN_CODE = re.compile(r"^([A-Z]{2})\.([^.]+)(?:\.([^.]+))?$")


class GeonamesAdmin(Format):
    code = "geonames-admin"
    policy = Policy(region_names=True, department_names=True, department_region=True)

    def begin(self, text: str, line: int) -> bool:
        fields = text.split("\t")
        if len(fields) != COLUMNS:
            raise self.wrong_columns(line, len(fields), COLUMNS, _("a GeoNames admin code file"))
        if not ADMIN_CODE.match(fields[0]):
            raise FileProblem(
                _(
                    "Line %(line)d of “%(name)s” does not start with a GeoNames admin code "
                    "such as FR.11 or FR.11.75: is it admin1CodesASCII.txt or admin2Codes.txt?"
                )
                % {"line": line, "name": self.source}
            )
        return False

    def parse(self, text: str, line: int) -> Place | Reject | None:
        fields = text.split("\t")
        if len(fields) != COLUMNS:
            return columns_reject(len(fields), COLUMNS)
        match = ADMIN_CODE.match(fields[0].strip())
        if match is None:
            return Reject(_("Invalid admin code “%(code)s”") % {"code": fields[0]})
        country, admin1, admin2 = match.group(1), match.group(2), match.group(3) or ""
        if self.skipped_country(country):
            return None
        name = fields[1].strip()
        if not name:
            return Reject(_("Missing name"))
        if len(admin1) > CODE_MAX:
            return code_too_long(admin1)
        if not admin2:
            return Place(country=country, region_code=admin1, region_name=name)
        department = department_code(country, admin1, admin2)
        if len(department) > CODE_MAX:
            return code_too_long(department)
        return Place(
            country=country,
            region_code=admin1,
            department_code=department,
            department_name=name,
        )
