"""La Poste's "Base officielle des codes postaux" (laposte-hexasmal).

";"-separated, Windows-1252 (Latin-1) as published, UTF-8 accepted too (with or without BOM),
one header line in one of the known shapes:

- current: ``#Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libellé_d_acheminement;Ligne_5``
- older: ``Code_commune_INSEE;Nom_commune;Code_postal;Ligne_5;Libellé_d_acheminement;
  coordonnees_gps``

One line per (commune, postal code, lieu-dit): a commune with several codes has several lines,
a code serving several communes too. Paris, Lyon and Marseille come as their arrondissements
(75101…): their postal codes go to the commune (75056). La Poste is the authority for the
delivery label; its upper-case names name only the cities it creates (import the INSEE COG
first for proper names and departments).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from piste.core.text import fold
from piste.geo.importers.base import (
    ARRONDISSEMENTS,
    Format,
    Place,
    Policy,
    Reject,
    check_latitude,
    check_longitude,
    columns_reject,
    department_of_commune,
    insee_problem,
    missing_name,
    parent_commune,
    postal_code_problem,
    split_csv,
)
from piste.geo.importers.files import FileProblem

# Header names, folded (lower case, no accent, "_" for spaces), to the value they hold.
HEADER_NAMES = {
    "code_commune_insee": "insee",
    "nom_de_la_commune": "name",
    "nom_commune": "name",
    "code_postal": "postal_code",
    "libelle_d_acheminement": "label",
    "ligne_5": "line5",
    "coordonnees_gps": "gps",
    "_geopoint": "gps",
}
REQUIRED = {"insee", "name", "postal_code"}
CURRENT = "#Code_commune_INSEE;Nom_de_la_commune;Code_postal;Libellé_d_acheminement;Ligne_5"
OLDER = "Code_commune_INSEE;Nom_commune;Code_postal;Ligne_5;Libellé_d_acheminement;coordonnees_gps"
_SEPARATORS = re.compile(r"[\s\-]+")


class LaPoste(Format):
    code = "laposte"
    encodings = ("utf-8", "cp1252")
    policy = Policy(postal_labels=True, create_departments=False)

    def __init__(self, *, source: str, country: str = "") -> None:
        super().__init__(source=source, country=country)
        self.columns: dict[str, int] = {}
        self.width = 0

    def begin(self, text: str, line: int) -> bool:
        names = split_csv(text.lstrip("#"), ";")
        roles = [HEADER_NAMES.get(_SEPARATORS.sub("_", fold(n).strip())) for n in names]
        self.columns = {role: index for index, role in enumerate(roles) if role}
        self.width = len(names)
        if not set(self.columns) >= REQUIRED:
            raise FileProblem(
                _(
                    "Line %(line)d of “%(name)s” is not the header of La Poste's postal code "
                    "file. Expected “%(current)s” (or the older “%(older)s”); found “%(found)s”."
                )
                % {
                    "line": line,
                    "name": self.source,
                    "current": CURRENT,
                    "older": OLDER,
                    "found": text[:200],
                }
            )
        return True

    def parse(self, text: str, line: int) -> Place | Reject | None:
        fields = split_csv(text, ";")
        if len(fields) != self.width:
            return columns_reject(len(fields), self.width)
        insee = fields[self.columns["insee"]].strip().upper()
        problem = insee_problem(insee)
        if problem is not None:
            return problem
        code = fields[self.columns["postal_code"]].strip()
        problem = postal_code_problem("FR", code)
        if problem is not None:
            return problem
        name = fields[self.columns["name"]].strip()
        if insee in ARRONDISSEMENTS:
            name = ARRONDISSEMENTS[insee][1]
            insee = parent_commune(insee)
        if not name:
            return missing_name()
        label = fields[self.columns["label"]].strip()[:120] if "label" in self.columns else ""
        latitude = longitude = ""
        if "gps" in self.columns:
            gps = fields[self.columns["gps"]].strip()
            if gps:
                parts = [p.strip() for p in gps.split(",")]
                if len(parts) != 2:
                    return Reject(_("Invalid coordinates “%(value)s”") % {"value": gps})
                checked_latitude = check_latitude(parts[0])
                if type(checked_latitude) is Reject:
                    return checked_latitude
                checked_longitude = check_longitude(parts[1])
                if type(checked_longitude) is Reject:
                    return checked_longitude
                latitude, longitude = str(checked_latitude), str(checked_longitude)
        return Place(
            country="FR",
            city=name,
            insee=insee,
            department_code=department_of_commune(insee),
            latitude=latitude,
            longitude=longitude,
            postal_code=code,
            postal_label=label,
        )
