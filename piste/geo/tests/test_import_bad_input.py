"""Bad input: a problem with the whole file fails the job with a message naming the problem
(and the line), and nothing is written; a bad line is rejected, listed in the report, and the
other lines are imported."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from piste.geo.importers import engine
from piste.geo.models import City, CityImport
from piste.geo.tests.import_support import (
    assert_done,
    data,
    row_counts,
    run_file,
    run_import,
    zipped,
)

pytestmark = pytest.mark.django_db

FORMAT = CityImport.Format
EMPTY = {"regions": 0, "departments": 0, "cities": 0, "postal_codes": 0}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def assert_failed(job: CityImport, *fragments: str) -> None:
    assert job.status == CityImport.Status.FAILED, job.status
    for fragment in fragments:
        assert fragment in job.error, job.error
    assert (job.created_count, job.updated_count) == (0, 0)
    assert row_counts() == EMPTY


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of two lines: a late problem comes after rows were written (then rolled back)."""
    monkeypatch.setattr(engine, "BATCH_LINES", 2)


# -- the whole file ------------------------------------------------------------------------------


def test_wrong_columns_names_the_line_and_the_format():
    job = run_file(FORMAT.GEONAMES, "geonames_postal_FR.txt")
    assert_failed(
        job,
        "Line 1 of “geonames_postal_FR.txt” has 12 columns where the GeoNames cities format has 19",
    )


def test_wrong_encoding_names_the_line_and_writes_nothing(small_batches):
    text = data("geonames_FR.txt").decode()
    first_accented = next(n for n, line in enumerate(text.splitlines(), 1) if not line.isascii())
    assert first_accented > 2  # earlier batches were written, then rolled back
    job = run_import(FORMAT.GEONAMES, "FR.txt", text.encode("latin-1"))
    assert_failed(job, f"Line {first_accented} of “FR.txt” is not valid UTF-8 text", "0xe8")


def test_truncated_zip():
    content = zipped("FR.txt", data("geonames_FR.txt") * 20)
    job = run_import(FORMAT.GEONAMES, "FR.zip", content[: len(content) // 2])
    assert_failed(job, "The zip archive “FR.zip” is damaged or truncated")


def test_a_zip_name_on_a_text_file():
    assert_failed(
        run_import(FORMAT.GEONAMES, "FR.zip", data("geonames_FR.txt")),
        "The file “FR.zip” is not a zip archive",
    )


def test_a_zip_without_data_file():
    content = zipped("readme.txt", b"nothing here\n", readme=False)
    assert_failed(run_import(FORMAT.GEONAMES, "FR.zip", content), "holds no .txt or .csv data file")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file “FR.txt” is empty."),
        (b"\n\n  \n", "The file “FR.txt” is empty (blank lines only)."),
    ],
    ids=["no byte", "blank lines"],
)
def test_empty_file(content, message):
    assert_failed(run_import(FORMAT.GEONAMES_POSTAL, "FR.txt", content), message)


def test_empty_file_in_a_zip():
    job = run_import(FORMAT.GEONAMES_POSTAL, "FR.zip", zipped("FR.txt", b""))
    assert_failed(job, "The file “FR.zip (FR.txt)” is empty.")


def test_binary_file():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4
    assert_failed(
        run_import(FORMAT.CSV, "villes.csv", png),
        "The file “villes.csv” is not a text file (it holds binary data)",
    )


def test_header_without_data():
    content = b"REG,CHEFLIEU,TNCC,NCC,NCCENR,LIBELLE\n"
    assert_failed(
        run_import(FORMAT.INSEE_COG, "v_region_2025.csv", content),
        "The file “v_region_2025.csv” has a header line but no data.",
    )


def test_insee_file_with_an_unknown_header():
    job = run_file(FORMAT.INSEE_COG, "piste_cities.csv")
    assert_failed(
        job,
        "Line 1 of “piste_cities.csv” is not the header of an INSEE COG file",
        "TYPECOM,COM,REG,DEP",
    )


def test_laposte_file_with_an_unknown_header():
    job = run_file(FORMAT.LAPOSTE, "v_commune_2024.csv")
    assert_failed(
        job,
        "Line 1 of “v_commune_2024.csv” is not the header of La Poste's postal code file",
        "#Code_commune_INSEE;Nom_de_la_commune;Code_postal",
    )


def test_laposte_file_without_header():
    content = b"01001;L ABERGEMENT CLEMENCIAT;01400;L ABERGEMENT CLEMENCIAT;\n"
    assert_failed(run_import(FORMAT.LAPOSTE, "laposte.csv", content), "is not the header")


def test_csv_template_with_unknown_columns():
    content = b"pays;ville;code\nFR;Paris;75001\n"
    assert_failed(
        run_import(FORMAT.CSV, "villes.csv", content),
        "is not the header of Piste's CSV template",
        "unknown columns pays, ville, code",
    )


def test_every_line_rejected_fails_the_job():
    content = b"XX\t75001\tParis 01\t\t\t\t\t\t\t\t\t\nXX\t75002\tParis 02\t\t\t\t\t\t\t\t\t\n"
    job = run_import(FORMAT.GEONAMES_POSTAL, "XX.txt", content)
    assert_failed(job, "No line could be imported (2 rejected)")
    assert job.rejected_count == 2
    assert job.report  # the reason of each, still


# -- rejected lines ------------------------------------------------------------------------------


def report_rows(job: CityImport) -> list[list[str]]:
    with job.report.open("rb") as f:
        text = f.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_bad_lines_are_rejected_and_listed_the_others_imported():
    good = data("geonames_postal_FR.txt").decode()
    bad = [
        "FR\t75002\tParis 02\tÎle-de-France\t11\tParis\t75",  # 7 columns
        "FR\t7500A\tParis 02\tÎle-de-France\t11\tParis\t75\tParis\t751\t48.86\t2.34\t5",
        "FR\t75003\t \tÎle-de-France\t11\tParis\t75\tParis\t751\t48.86\t2.34\t5",
        "XX\t75004\tParis 04\tÎle-de-France\t11\tParis\t75\tParis\t751\t48.86\t2.34\t5",
        "FR\t75005\tParis 05\tÎle-de-France\t11\tParis\t75\tParis\t751\t148.86\t2.34\t5",
    ]
    lines = good.splitlines()
    content = "\n".join(lines[:3] + bad + lines[3:]) + "\n"
    job = run_import(FORMAT.GEONAMES_POSTAL, "FR.txt", content.encode())
    assert_done(job)
    assert job.rejected_count == 5
    assert row_counts()["postal_codes"] == 8  # every good line
    rows = report_rows(job)
    assert rows[0] == ["file", "line", "reason", "content"]
    assert [row[1:3] for row in rows[1:]] == [
        ["4", "7 columns instead of 12"],
        ["5", "Invalid postal code “7500A”"],
        ["6", "Missing city name"],
        ["7", "Unknown country code “XX”"],
        ["8", "Invalid latitude “148.86”"],
    ]
    assert rows[1][0] == "FR.txt"
    assert rows[2][3] == bad[1]


def test_report_lines_never_start_a_spreadsheet_formula():
    content = data("geonames_postal_FR.txt") + b'=HYPERLINK("http://evil.example")\t1\n'
    job = run_import(FORMAT.GEONAMES_POSTAL, "FR.txt", content)
    assert_done(job)
    assert report_rows(job)[1][3] == '\'=HYPERLINK("http://evil.example")\t1'


def test_ambiguous_city_without_department_is_rejected():
    two = "country;city;department_code\nFR;Saint-Martin;01\nFR;Saint-Martin;31\n"
    assert_done(run_import(FORMAT.CSV, "villes.csv", two.encode()))
    job = run_import(FORMAT.CSV, "villes.csv", b"country;city;postal_code\nFR;Saint-Martin;01000\n")
    assert job.status == CityImport.Status.FAILED
    assert [row[2] for row in report_rows(job)[1:]] == [
        "Several cities are named “Saint-Martin” in this country: give the department code "
        "or the INSEE code"
    ]
    assert City.objects.filter(name="Saint-Martin").count() == 2


def test_bad_commune_code_in_insee_and_laposte_files():
    cog = data("v_commune_2024.csv") + b"COM,7505,11,75,75C,751,0,PARIS,Paris,Paris,7599,\n"
    job = run_import(FORMAT.INSEE_COG, "v_commune.csv", cog)
    assert_done(job)
    assert [row[2] for row in report_rows(job)[1:]] == ["Invalid INSEE code “7505”"]
