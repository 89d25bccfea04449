"""The CSV and XLSX writers on their own: odd text, numbers, dates, long cells."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import openpyxl

from piste.exports.writers import Kind, csv_pieces, sheet_title, xlsx_pieces

KINDS = [Kind.TEXT, Kind.INT, Kind.DATETIME]
MOMENT = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 14:30 in Paris


def test_csv_is_utf8_with_bom_semicolons_and_excel_line_ends(settings):
    data = b"".join(csv_pieces(["Nom", "Score", "Créé"], KINDS, [("Zoé; «x»", 3, MOMENT)]))
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == 'Nom;Score;Créé\r\n"Zoé; «x»";3;2026-11-24 14:30\r\n'


def test_csv_neutralises_every_formula_start():
    rows = [(start + "1+1", None, None) for start in ("=", "+", "-", "@", "\t", "\r")]
    text = b"".join(csv_pieces(["a", "b", "c"], KINDS, rows)).decode("utf-8-sig")
    for line in text.split("\r\n")[1:-1]:
        assert line.lstrip('"').startswith("'")


def test_csv_survives_a_lone_surrogate():
    data = b"".join(csv_pieces(["a", "b", "c"], KINDS, [("x\ud800y", None, None)]))
    assert b"x?y" in data


def read(data: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_types_and_escapes_cells():
    rows = [
        ("<b>&amp;</b> \x00\x07bell", 5, MOMENT),
        (None, None, None),
        ("=1+1", 0, None),
        ("é" * 40000, -3, MOMENT),
    ]
    data = b"".join(xlsx_pieces(["Nom", "Score", "Créé"], KINDS, rows, title="Pistes: [ouvertes]"))
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    values = read(data)
    assert values[0] == ["Nom", "Score", "Créé"]
    assert values[1] == ["<b>&amp;</b> bell", 5, datetime(2026, 11, 24, 14, 30)]
    assert values[2] == [None, None, None]
    assert values[3] == ["'=1+1", 0, None]
    assert len(str(values[4][0])) == 32767  # Excel's limit per cell
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Pistes ouvertes"]


def test_xlsx_of_many_rows_comes_in_pieces():
    rows = ((f"row {n}", n, None) for n in range(5000))
    pieces = list(xlsx_pieces(["a", "b", "c"], KINDS, rows))
    assert len(pieces) > 2
    values = read(b"".join(pieces))
    assert len(values) == 5001 and values[-1] == ["row 4999", 4999, None]


def test_sheet_titles_are_what_excel_accepts():
    assert sheet_title("a" * 40) == "a" * 31
    assert sheet_title("[]:*?/\\") == "Sheet1"


def test_the_writers_shortcut_matches_safe_cell():
    from piste.core.spreadsheet import FORMULA_STARTS, safe_cell
    from piste.exports.writers import _safe

    assert all(len(start) == 1 for start in FORMULA_STARTS)
    for text in ["=1", "+1", "-1", "@a", "\tx", "\rx", "\nx", "\uff1dx", "a=1", "", "'x", 5]:
        assert _safe(text) == safe_cell(text)


def test_file_names_are_ascii_and_dated():
    from django.db.models import QuerySet

    from piste.exports.selectors import Export

    export = Export([], [], iter([]), [], "t", "Opportunités à suivre", QuerySet())
    assert export.file_name("csv", datetime(2026, 11, 24)) == "opportunites-a-suivre-2026-11-24.csv"
