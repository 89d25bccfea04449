"""CSV and XLSX files written as a stream of bytes, row after row.

Both writers take the headers and an iterator of rows (tuples of ``str``, ``int``, aware
``datetime`` or ``None``) and yield the file in pieces, so a 100,000-row export never sits whole
in memory and the first bytes leave before the last row is read. Every text cell goes through
``safe_cell``: a value starting like a formula is never run by the spreadsheet.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone

from piste.core.spreadsheet import FORMULA_STARTS, safe_cell

Cell = str | int | Decimal | date | datetime | None

# Rows written between two yields: large enough that the response is not a stream of tiny
# writes, small enough that memory stays flat.
ROWS_PER_PIECE = 2000

# French Excel splits CSV on the list separator of the Windows regional settings, ";" in
# France (the comma is the decimal separator there): a comma-separated file opens in one
# column. The BOM tells Excel the file is UTF-8 (without it, it reads Windows-1252).
CSV_DELIMITER = ";"
BOM = "\ufeff"
# Every formula start is one character: a cell whose first character is none of them is
# returned by safe_cell as it is, so the writers call it only for the others (800,000 calls
# saved on 100,000 rows; test_writers checks that the starts stay single characters).
_FIRST = frozenset(FORMULA_STARTS)


def _safe(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return safe_cell(text) if text[:1] in _FIRST else text


class _Buffer:
    """A write-only sink the writers fill and the generators empty at each piece."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


class Kind:
    """What a column holds: how each writer makes its cells (chosen once per column, not
    tested on every cell: a 100,000-row export writes 800,000 cells)."""

    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"  # an amount: two decimals
    DATE = "date"
    DATETIME = "datetime"


def _csv_converters(kinds: Sequence[str]) -> list[Callable[[Any], Any]]:
    tz = timezone.get_current_timezone()

    def text(value: str | None) -> str:
        return "" if value is None else _safe(value)

    def number(value: int | None) -> int | str:
        return "" if value is None else value

    def moment(value: datetime | None) -> str:
        # "2026-11-24 14:30": isoformat takes half the time of strftime.
        return "" if value is None else value.astimezone(tz).isoformat(" ", "minutes")[:16]

    # Amounts with the decimal mark of the user's language: French Excel reads "12500,50" as
    # a number and "12500.50" as text. Dates in ISO form, which Excel reads in any language.
    mark = str(formats.get_format("DECIMAL_SEPARATOR"))

    def amount(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.2f}".replace(".", mark)

    def day(value: date | None) -> str:
        return "" if value is None else value.isoformat()

    by_kind: dict[str, Callable[[Any], Any]] = {
        Kind.INT: number,
        Kind.DECIMAL: amount,
        Kind.DATE: day,
        Kind.DATETIME: moment,
    }
    return [by_kind.get(kind, text) for kind in kinds]


def csv_pieces(
    headers: Sequence[str], kinds: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Iterator[bytes]:
    """The CSV file: UTF-8 with a BOM, ``;`` between cells, CRLF line ends (Excel's). The
    cells' formats are chosen now, in the request's language: the stream is read later, when
    the view has returned."""
    return _csv_stream(headers, list(enumerate(_csv_converters(kinds))), rows)


def _csv_stream(
    headers: Sequence[str],
    converters: list[tuple[int, Callable[[Any], Any]]],
    rows: Iterable[Sequence[Cell]],
) -> Iterator[bytes]:
    buffer = _Buffer()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([safe_cell(h) for h in headers])
    for count, row in enumerate(rows, 1):
        writer.writerow([convert(row[i]) for i, convert in converters])
        if count % ROWS_PER_PIECE == 0:
            yield _encode(buffer.take())
    yield _encode(buffer.take())


def _encode(text: str) -> bytes:
    # "replace": a lone surrogate (from a broken import) must not stop the file half-written.
    return text.encode("utf-8", "replace")


# XLSX: the sheet's XML is written by hand (openpyxl's write-only mode builds an object per
# cell, and its file is whole before the first byte leaves), zipped as it goes.

# XML 1.0 forbids most control characters, even escaped: they are dropped (a tab, a line feed
# and a carriage return are allowed).
_XML_TABLE: dict[str | int, str | None] = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_XML_TABLE.update({code: None for code in (*range(32), 0xFFFE, 0xFFFF) if code not in (9, 10, 13)})
_XML_ESCAPE = str.maketrans(_XML_TABLE)
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_SECONDS_PER_DAY = 86400.0
MAX_CELL_CHARS = 32767  # Excel's limit: a longer cell makes it "repair" the file.

_SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEETML}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml"'
    f' ContentType="{_SHEETML}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SHEETML}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Styles: 1 a date and time (built-in format 22), 2 bold (the header row), 3 a date (14),
# 4 an amount (4: "#,##0.00").
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
    ' activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def _workbook(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_text(sheet_title(title))}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def sheet_title(title: str) -> str:
    """A sheet name Excel accepts: 31 characters at most, none of ``[]:*?/\\``."""
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\").strip("'")
    return clean[:31] or "Sheet1"


def _text(value: str) -> str:
    # Most cells hold nothing to escape: one regex search is cheaper than a translate.
    return value.translate(_XML_ESCAPE) if _XML_SPECIAL.search(value) else value


def _xlsx_converters(kinds: Sequence[str]) -> list[Callable[[Any], str]]:
    tz = timezone.get_current_timezone()

    def text(value: str | None) -> str:
        if value is None or value == "":
            return "<c/>"
        # A string cell (inline): Excel never evaluates it, and safe_cell also keeps a user
        # who edits the cell from turning it into a formula.
        value = _text(_safe(value)[:MAX_CELL_CHARS])
        return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'

    def number(value: int | None) -> str:
        return "<c/>" if value is None else f"<c><v>{int(value)}</v></c>"

    def moment(value: datetime | None) -> str:
        if value is None:
            return "<c/>"
        local = value.astimezone(tz).replace(tzinfo=None)
        serial = (local - _EXCEL_EPOCH).total_seconds() / _SECONDS_PER_DAY
        return f'<c s="1"><v>{serial:.10f}</v></c>'

    def amount(value: Decimal | None) -> str:
        return "<c/>" if value is None else f'<c s="4"><v>{value:.2f}</v></c>'

    def day(value: date | None) -> str:
        if value is None:
            return "<c/>"
        return f'<c s="3"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'

    by_kind: dict[str, Callable[[Any], str]] = {
        Kind.INT: number,
        Kind.DECIMAL: amount,
        Kind.DATE: day,
        Kind.DATETIME: moment,
    }
    return [by_kind.get(kind, text) for kind in kinds]


def _header_cell(value: str) -> str:
    return (
        f'<c t="inlineStr" s="2"><is><t xml:space="preserve">{_text(safe_cell(value))}</t></is></c>'
    )


class _ZipSink:
    """What zipfile writes to: it cannot seek (zipfile then writes data descriptors), and
    its bytes are taken by the generator at each piece."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def xlsx_pieces(
    headers: Sequence[str],
    kinds: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str = "Export",
) -> Iterator[bytes]:
    """The XLSX file: one sheet, a bold frozen header row, text as inline strings, numbers as
    numbers, dates as dates (in the site's time zone). Formats chosen now, as for CSV."""
    return _xlsx_stream(headers, list(enumerate(_xlsx_converters(kinds))), rows, title)


def _xlsx_stream(
    headers: Sequence[str],
    converters: list[tuple[int, Callable[[Any], str]]],
    rows: Iterable[Sequence[Cell]],
    title: str,
) -> Iterator[bytes]:
    sink = _ZipSink()
    # The fastest level: the sheet's repetitive XML already shrinks several times.
    with zipfile.ZipFile(
        sink,
        mode="w",
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=1,
    ) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _workbook(title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", mode="w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            sheet.write(("<row>" + "".join(map(_header_cell, headers)) + "</row>").encode())
            pending: list[str] = []
            for row in rows:
                pending.append("<row>" + "".join([c(row[i]) for i, c in converters]) + "</row>")
                if len(pending) == ROWS_PER_PIECE:
                    sheet.write(_encode("".join(pending)))
                    pending.clear()
                    yield sink.take()
            sheet.write(_encode("".join(pending) + _SHEET_END))
        yield sink.take()
    yield sink.take()


CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": f"{_SHEETML}.sheet",
}


def pieces(
    fmt: str,
    headers: Sequence[str],
    kinds: Sequence[str],
    rows: Iterable[Sequence[Any]],
    title: str,
) -> Iterator[bytes]:
    """The file in format ``fmt`` ("csv" or "xlsx"), piece by piece."""
    if fmt == "xlsx":
        return xlsx_pieces(headers, kinds, rows, title=title)
    return csv_pieces(headers, kinds, rows)
