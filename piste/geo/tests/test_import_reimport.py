"""Importing a file again updates what it finds and never duplicates anything."""

from __future__ import annotations

import pytest

from piste.geo.models import City, CityImport, PostalCode
from piste.geo.tests.import_support import assert_done, row_counts, run_file

pytestmark = pytest.mark.django_db

FORMAT = CityImport.Format
FILES = [
    (FORMAT.GEONAMES_ADMIN, "admin1CodesASCII.txt"),
    (FORMAT.GEONAMES_ADMIN, "admin2Codes.txt"),
    (FORMAT.GEONAMES, "geonames_FR.txt"),
    (FORMAT.GEONAMES_POSTAL, "geonames_postal_FR.txt"),
    (FORMAT.INSEE_COG, "v_region_2024.csv"),
    (FORMAT.INSEE_COG, "v_departement_2024.csv"),
    (FORMAT.INSEE_COG, "v_commune_2024.csv"),
    (FORMAT.LAPOSTE, "laposte_hexasmal.csv"),
    (FORMAT.LAPOSTE, "laposte_older.csv"),
    (FORMAT.CSV, "piste_cities.csv"),
]


@pytest.mark.parametrize(("import_format", "name"), FILES, ids=[name for _f, name in FILES])
def test_reimport_updates_and_never_duplicates(import_format, name):
    first = run_file(import_format, name)
    assert_done(first)
    after_first = row_counts()
    assert first.created_count > 0
    assert first.updated_count == 0

    again = run_file(import_format, name)
    assert_done(again)
    assert row_counts() == after_first
    assert again.created_count == 0
    # Every row the first import created is found again.
    assert again.updated_count == first.created_count


def test_every_file_twice_in_a_row_leaves_the_same_rows():
    for import_format, name in FILES:
        assert_done(run_file(import_format, name))
    once = row_counts()
    for import_format, name in FILES:
        job = run_file(import_format, name)
        assert_done(job)
        assert job.created_count == 0, name
    assert row_counts() == once
    # No two cities share an INSEE code, a GeoNames id, or a postal code line.
    assert City.objects.exclude(insee_code="").values("insee_code").distinct().count() == (
        City.objects.exclude(insee_code="").count()
    )
    assert (
        PostalCode.objects.values("city", "code").distinct().count() == PostalCode.objects.count()
    )


def test_reimport_takes_the_new_values_of_the_format_it_trusts(tmp_path):
    assert_done(run_file(FORMAT.GEONAMES, "geonames_FR.txt"))
    from piste.geo.tests.import_support import data, run_import

    changed = data("geonames_FR.txt").replace(b"\t2138551\t", b"\t2100000\t")
    changed = changed.replace(b"2988507\tParis\tParis", b"2988507\tParis\tParis").replace(
        b"48.85341\t2.3488", b"48.8566\t2.3522"
    )
    job = run_import(FORMAT.GEONAMES, "FR.txt", changed)
    assert_done(job)
    paris = City.objects.get(insee_code="75056")
    assert paris.population == 2100000
    assert str(paris.latitude) == "48.856600"
    assert job.created_count == 0
