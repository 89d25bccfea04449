"""City importers: one module per file format, and the shared engine (``engine.py``) that
matches and writes what the lines say. Services in ``piste.geo.imports`` run them as jobs."""

from __future__ import annotations

from piste.geo.importers.base import Counts, Format, InputFile, Progress, RejectLog
from piste.geo.importers.csv_template import CsvTemplate
from piste.geo.importers.engine import import_files
from piste.geo.importers.files import FileProblem
from piste.geo.importers.geonames import GeonamesCities
from piste.geo.importers.geonames_admin import GeonamesAdmin
from piste.geo.importers.geonames_postal import GeonamesPostal
from piste.geo.importers.insee_cog import InseeCog
from piste.geo.importers.laposte import LaPoste

FORMATS: dict[str, type[Format]] = {
    fmt.code: fmt
    for fmt in (GeonamesCities, GeonamesAdmin, GeonamesPostal, InseeCog, LaPoste, CsvTemplate)
}

__all__ = [
    "FORMATS",
    "Counts",
    "FileProblem",
    "Format",
    "InputFile",
    "Progress",
    "RejectLog",
    "import_files",
]
