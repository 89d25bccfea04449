"""Reading an uploaded table: CSV (any usual encoding and delimiter) or XLSX, row by row.

Everything here reads only, and streams: a file of any length is read once per pass without
being held in memory. A problem with the file as a whole raises ``FileProblem`` with a message
for the user; the wizard shows it and nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

SNIFF_BYTES = 64 * 1024
# More columns than any real export has: a line of a million columns is refused, not mapped.
MAX_COLUMNS = 300
# A cell longer than this is not a CRM value (and csv's own limit is 128 kB).
MAX_CELL = 100_000
ZIP_SIGNATURE = b"PK\x03\x04"
DELIMITERS = (";", ",", "\t", "|")


class FileProblem(Exception):
    """The file as a whole cannot be imported: nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    path: Path
    name: str
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""

    def rows(self) -> Iterator[list[str]]:
        """Every row after the header, cells as trimmed text; blank rows left out."""
        source = _csv_rows(self) if self.format == "csv" else _xlsx_rows(self)
        first = True
        for row in source:
            if first:
                first = False
                continue
            if any(row):
                yield row

    def headers(self) -> list[str]:
        source = _csv_rows(self) if self.format == "csv" else _xlsx_rows(self)
        for row in source:
            if not any(row):
                break
            return row
        raise FileProblem(_("The file “%(name)s” is empty.") % {"name": self.name})


def open_table(path: Path, name: str) -> Table:
    """The table in ``path`` with its format, encoding and delimiter found; its header checked."""
    size = path.stat().st_size
    if size == 0:
        raise FileProblem(_("The file “%(name)s” is empty.") % {"name": name})
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if head.startswith(ZIP_SIGNATURE) or name.lower().endswith((".xlsx", ".xlsm")):
        table = Table(path=path, name=name, format="xlsx")
    else:
        if b"\x00" in head:
            raise FileProblem(
                _(
                    "The file “%(name)s” is not a text (CSV) file nor an Excel workbook: "
                    "save it as CSV or XLSX."
                )
                % {"name": name}
            )
        encoding = detect_encoding(head)
        text = _decode_head(head, encoding, name)
        table = Table(
            path=path, name=name, format="csv", encoding=encoding, delimiter=detect_delimiter(text)
        )
    headers = table.headers()
    if not any(h.strip() for h in headers):
        raise FileProblem(_("The first row of “%(name)s” names no column.") % {"name": name})
    return table


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without its BOM) when the bytes are UTF-8; else the guess of
    charset-normalizer, Windows-1252 for any Western European guess (French spreadsheets)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # final=False: a character cut by the sniffing window is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1252 leaves only five bytes undefined: bytes it decodes are, in practice, a
        # Western spreadsheet's (charset-normalizer alone takes short French files for Baltic).
        codecs.getincrementaldecoder("cp1252")().decode(head, final=False)
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    guess = (best.encoding if best else "cp1252").lower().replace("-", "_")
    western = {"cp1252", "latin_1", "iso8859_1", "iso8859_15", "cp850", "ascii", "mac_roman"}
    return "cp1252" if guess in western else guess


def _decode_head(head: bytes, encoding: str, name: str) -> str:
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileProblem(
            _("The file “%(name)s” is not readable text: save it as CSV (UTF-8).") % {"name": name}
        ) from exc


def detect_delimiter(text: str) -> str:
    """The delimiter of the first lines: csv.Sniffer, else the most frequent on line 1."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ";"


def _open_text(table: Table) -> IO[str]:
    return io.TextIOWrapper(
        table.path.open("rb"), encoding=table.encoding, errors="strict", newline=""
    )


def _csv_rows(table: Table) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_CELL)
    line = 0
    try:
        with _open_text(table) as f:
            reader = csv.reader(f, delimiter=table.delimiter, strict=False)
            for row in reader:
                line = reader.line_num
                if len(row) > MAX_COLUMNS:
                    raise FileProblem(
                        _(
                            "Line %(line)d of “%(name)s” has %(count)d columns, more than the "
                            "%(max)d an import reads: check the file's delimiter."
                        )
                        % {"line": line, "name": table.name, "count": len(row), "max": MAX_COLUMNS}
                    )
                yield [cell.strip() for cell in row]
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _(
                "After line %(line)d, “%(name)s” is not valid %(encoding)s text: save it in "
                "UTF-8 and import it again."
            )
            % {"line": line, "name": table.name, "encoding": encoding_label(table.encoding)}
        ) from exc
    except csv.Error as exc:
        raise FileProblem(
            _("Line %(line)d of “%(name)s” is not valid CSV (%(reason)s).")
            % {"line": line + 1, "name": table.name, "reason": exc}
        ) from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(table: Table) -> Iterator[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(table.path))
        sheet = workbook.get_sheet_by_index(0)
        if sheet.width > MAX_COLUMNS:
            raise FileProblem(
                _("The first sheet has %(count)d columns, more than the %(max)d an import reads.")
                % {"count": sheet.width, "max": MAX_COLUMNS}
            )
        for row in sheet.iter_rows():
            yield [_cell_text(v) for v in row]
    except FileProblem:
        raise
    except Exception as exc:  # calamine raises its own errors, zip and XML ones
        raise FileProblem(
            _(
                "The file “%(name)s” is not a readable Excel workbook (%(reason)s): open it in "
                "your spreadsheet and save it again as XLSX or CSV."
            )
            % {"name": table.name, "reason": type(exc).__name__}
        ) from exc


def encoding_label(encoding: str) -> str:
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 (BOM)",
        "cp1252": "Windows-1252",
        "utf-16": "UTF-16",
    }.get(encoding, encoding)


def count_rows(table: Table) -> int:
    """Data rows for the progress bar: one fast pass."""
    return sum(1 for _row in table.rows())
