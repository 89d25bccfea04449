"""`manage.py import_cities`: the same service from the command line."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from piste.geo.models import City, CityImport, PostalCode
from piste.geo.tests.import_support import DATA, must, row_counts

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_cities", *args, stdout=out)
    return out.getvalue()


def test_command_imports_and_prints_progress_and_counts():
    output = run("--format", "geonames-postal", str(DATA / "geonames_postal_FR.txt"))
    assert "8 / 8 lines read" in output
    assert "cities: 5 created, 0 updated" in output
    assert "postal codes: 8 created, 0 updated" in output
    assert "done in" in output and "8 lines, 21 created, 0 updated, 0 rejected." in output
    job = CityImport.objects.get()
    assert (job.status, job.created_by, job.file_name) == ("done", None, "geonames_postal_FR.txt")
    assert PostalCode.objects.count() == 8


def test_command_takes_several_files_in_one_transaction():
    files = [
        str(DATA / n) for n in ("v_region_2024.csv", "v_departement_2024.csv", "v_commune_2024.csv")
    ]
    run("--format", "insee-cog", *files)
    assert must(City.objects.get(insee_code="2A004").department).name == "Corse-du-Sud"
    again = run("--format", "insee-cog", *files)
    assert "0 created" in again


def test_command_fails_with_the_message_and_writes_nothing(tmp_path: Path):
    empty = tmp_path / "FR.txt"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match=r"failed: The file “FR\.txt” is empty\."):
        run("--format", "geonames-postal", str(empty))
    assert row_counts() == {"regions": 0, "departments": 0, "cities": 0, "postal_codes": 0}


def test_command_writes_the_rejected_lines_path(tmp_path: Path):
    path = tmp_path / "FR.txt"
    path.write_bytes(
        (DATA / "geonames_postal_FR.txt").read_bytes() + b"XX\t1\tNowhere\t\t\t\t\t\t\t\t\t\n"
    )
    output = run("--format", "geonames-postal", str(path))
    report = CityImport.objects.get().report
    assert f"Rejected lines: {report.path}" in output
    assert "1 rejected." in output


def test_command_country_filter():
    run("--format", "geonames-admin", "--country", "us", str(DATA / "admin2Codes.txt"))
    assert row_counts()["departments"] == 2


def test_command_refuses_a_missing_file_or_an_unknown_country(tmp_path: Path):
    with pytest.raises(CommandError, match="no such file"):
        run("--format", "csv", str(tmp_path / "nothing.csv"))
    with pytest.raises(CommandError, match="Unknown country code"):
        run("--format", "csv", "--country", "ZZ", str(DATA / "piste_cities.csv"))
    with pytest.raises(CommandError, match="France only"):
        run("--format", "laposte", "--country", "BE", str(DATA / "laposte_hexasmal.csv"))
