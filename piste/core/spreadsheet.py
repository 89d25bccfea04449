"""Cells written to CSV and XLSX files that users open in a spreadsheet."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (CSV injection, OWASP): « =HYPERLINK(…) » in a lead's name must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows and never runs: a leading apostrophe before any
    formula start. Numbers are text here too: callers that want numeric cells keep them apart."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
