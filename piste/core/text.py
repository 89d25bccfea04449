"""Text normalisation shared by uniqueness checks and searches."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, accent-free, single-spaced form of ``text``: "  Électricité " -> "electricite".

    Stored beside names so that uniqueness and search ignore case and accents on SQLite and
    PostgreSQL alike, with a plain index and no database extension.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()
