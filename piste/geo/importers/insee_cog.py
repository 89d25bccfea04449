"""INSEE Code officiel géographique (COG), the yearly CSV files: communes, départements, régions.

UTF-8, comma-separated, quoted, one header line; which file it is comes from the header:

- communes: TYPECOM, COM, REG, DEP, CTCD, ARR, TNCC, NCC, NCCENR, LIBELLE, CAN, COMPARENT;
- départements: DEP, REG, CHEFLIEU, TNCC, NCC, NCCENR, LIBELLE;
- régions: REG, CHEFLIEU, TNCC, NCC, NCCENR, LIBELLE.

Codes stay text (01, 2A, 2B, 971). Only current communes (TYPECOM COM) are cities: associated
and delegated communes (COMA, COMD) and the municipal arrondissements of Paris, Lyon and
Marseille (ARM) are skipped. INSEE is the authority for names and for a commune's department
and region.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from piste.geo.importers.base import (
    Format,
    Place,
    Policy,
    Reject,
    columns_reject,
    insee_problem,
    missing_name,
    split_csv,
)
from piste.geo.importers.files import FileProblem

COMMUNES = "communes"
DEPARTMENTS = "departments"
REGIONS = "regions"
CODE = {"DEP": r"^(?:\d{2}|2[AB]|97\d)$", "REG": r"^\d{2}$"}
EXAMPLES = {
    COMMUNES: "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT",
    DEPARTMENTS: "DEP,REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE",
    REGIONS: "REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE",
}


class InseeCog(Format):
    code = "insee-cog"

    def __init__(self, *, source: str, country: str = "") -> None:
        super().__init__(source=source, country=country)
        self.kind = ""
        self.delimiter = ","
        self.columns: dict[str, int] = {}
        self.width = 0

    def begin(self, text: str, line: int) -> bool:
        self.delimiter = ";" if text.count(";") > text.count(",") else ","
        names = [c.strip().upper() for c in split_csv(text, self.delimiter)]
        self.columns = {name: index for index, name in enumerate(names)}
        self.width = len(names)
        has = set(names)
        named = "LIBELLE" in has or "NCCENR" in has
        if named and {"TYPECOM", "COM", "DEP"} <= has:
            self.kind, self.policy = COMMUNES, Policy(city_names=True, city_links=True)
        elif named and {"DEP", "REG"} <= has and "COM" not in has:
            self.kind = DEPARTMENTS
            self.policy = Policy(department_names=True, department_region=True)
        elif named and "REG" in has and not has & {"DEP", "COM"}:
            self.kind, self.policy = REGIONS, Policy(region_names=True)
        else:
            raise FileProblem(
                _(
                    "Line %(line)d of “%(name)s” is not the header of an INSEE COG file. "
                    "Expected the columns of the communes file (%(communes)s), the "
                    "departments file (%(departments)s) or the regions file (%(regions)s); "
                    "found: %(found)s."
                )
                % {
                    "line": line,
                    "name": self.source,
                    "communes": EXAMPLES[COMMUNES],
                    "departments": EXAMPLES[DEPARTMENTS],
                    "regions": EXAMPLES[REGIONS],
                    "found": text[:200],
                }
            )
        self.name_column = self.columns.get("LIBELLE", self.columns.get("NCCENR"))
        return True

    def _get(self, fields: list[str], column: str) -> str:
        index = self.columns.get(column)
        return fields[index].strip() if index is not None else ""

    def parse(self, text: str, line: int) -> Place | Reject | None:
        fields = split_csv(text, self.delimiter)
        if len(fields) != self.width:
            return columns_reject(len(fields), self.width)
        name = fields[self.name_column].strip() if self.name_column is not None else ""
        region = self._get(fields, "REG")
        if self.kind == REGIONS:
            if not region:
                return Reject(_("Missing region code"))
            if not name:
                return Reject(_("Missing name"))
            return Place(country="FR", region_code=region, region_name=name)
        department = self._get(fields, "DEP")
        if self.kind == DEPARTMENTS:
            if not department:
                return Reject(_("Missing department code"))
            if not name:
                return Reject(_("Missing name"))
            return Place(
                country="FR",
                region_code=region,
                department_code=department,
                department_name=name,
            )
        if self._get(fields, "TYPECOM") != "COM":
            return None
        commune = self._get(fields, "COM")
        problem = insee_problem(commune)
        if problem is not None:
            return problem
        if not name:
            return missing_name()
        return Place(
            country="FR",
            city=name,
            insee=commune,
            region_code=region,
            department_code=department,
        )
