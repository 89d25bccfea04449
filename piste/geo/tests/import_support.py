"""What the city import tests share: the data files, running a job through the services, and
counting what a job wrote."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TypeVar

from django.core.files.uploadedfile import SimpleUploadedFile

from piste.geo.imports import city_import_create, city_import_run
from piste.geo.models import City, CityImport, Country, Department, PostalCode, Region

DATA = Path(__file__).parent / "data"
T = TypeVar("T")


def must(value: T | None) -> T:
    """``value``, which the test expects to be there (a city's department, a region…)."""
    assert value is not None
    return value


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def zipped(member: str, content: bytes, *, readme: bool = True) -> bytes:
    """A zip like GeoNames': the data file and a readme."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if readme:
            archive.writestr("readme.txt", "GeoNames readme: see the column list.\n" * 20)
        archive.writestr(member, content)
    return buffer.getvalue()


def run_import(import_format: str, name: str, content: bytes, *, country: str = "") -> CityImport:
    """Upload ``content`` as ``name`` and run the job to its end, as the worker would."""
    job = city_import_create(
        actor=None,
        import_format=import_format,
        source=CityImport.Source.MANUAL,
        upload=SimpleUploadedFile(name, content),
        country=Country.objects.get(code=country) if country else None,
        enqueue=False,
    )
    return city_import_run(import_id=job.pk)


def run_file(import_format: str, name: str, *, country: str = "") -> CityImport:
    return run_import(import_format, name, data(name), country=country)


def row_counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "departments": Department.objects.count(),
        "cities": City.objects.count(),
        "postal_codes": PostalCode.objects.count(),
    }


def codes_of(city: City) -> list[str]:
    return sorted(city.postal_codes.values_list("code", flat=True))


def assert_done(job: CityImport) -> None:
    assert job.status == CityImport.Status.DONE, job.error
