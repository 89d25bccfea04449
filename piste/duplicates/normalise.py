"""The normalised forms two values are compared in when looking for duplicates.

Two records are duplicates on a field when its normalised values are equal: case, accents,
spaces and punctuation never count ("Électricité  Morel" = "electricite-morel"), nor legal forms
in a company name ("Morel SARL" = "S.A.R.L. Morel"), nor the word order of a person's name ("Jean
Dupont" = "DUPONT Jean"); phones compare in E.164 ("01 23 45 67 89" = "+33123456789"), emails in
lower case. Names that are close but not equal get a fuzzy score (``name_score``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from rapidfuzz import fuzz

from piste.core.contact import DEFAULT_REGION
from piste.core.text import fold

# Dots go without a space ("S.A.R.L." is "sarl"); any other non-letter, non-digit is a space.
_DOTS = re.compile(r"\.")
_NON_WORD = re.compile(r"[^0-9a-z]+")

# Legal forms dropped from company names: French ones first, then those met in Europe.
LEGAL_FORMS = frozenset(
    [
        "sarl",
        "sarlu",
        "eurl",
        "sas",
        "sasu",
        "sa",
        "snc",
        "scs",
        "sca",
        "sci",
        "scp",
        "scop",
        "scic",
        "sem",
        "selarl",
        "selas",
        "selafa",
        "eirl",
        "ei",
        "gie",
        "gaec",
        "earl",
        "sep",
        "spa",
        "srl",
        "gmbh",
        "ag",
        "ltd",
        "llc",
        "inc",
        "plc",
        "bv",
        "nv",
        "corp",
        "cie",
    ]
)

# What counts as a similar name: 0 to 100 (rapidfuzz's token sort ratio), at least this.
SIMILAR_NAME_SCORE = 85


def norm_text(value: object) -> str:
    """Folded (case and accents), punctuation as spaces, single-spaced."""
    folded = fold(_DOTS.sub("", str(value or "")))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def norm_company(value: object) -> str:
    """A company name without its legal form: "Morel & Fils S.A.R.L." -> "morel fils"."""
    words = [w for w in norm_text(value).split() if w not in LEGAL_FORMS]
    return " ".join(words)


def norm_person(*parts: object) -> str:
    """A person's names in a fixed order, so that "Jean Dupont" and "DUPONT, Jean" match."""
    return " ".join(sorted(norm_text(" ".join(str(p or "") for p in parts)).split()))


def norm_email(value: object) -> str:
    return str(value or "").strip().lower()


def email_domain(value: object) -> str:
    email = norm_email(value)
    return email.rpartition("@")[2] if "@" in email else ""


@lru_cache(maxsize=65536)
def norm_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """E.164 when the number parses, its digits otherwise ("" for none). Stored phones are E.164
    already (the services normalise them); this also takes what a user is still typing."""
    text = str(value or "").strip()
    if not text:
        return ""
    if text.startswith("+") and text[1:].isdigit():
        return text
    try:
        number = phonenumbers.parse(text[:40], region)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isdigit())
    if not phonenumbers.is_possible_number(number):
        return "".join(ch for ch in text if ch.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def name_score(a: str, b: str) -> int:
    """How alike two names are, 0 to 100, whatever their word order (normalised first)."""
    if not a or not b:
        return 0
    return round(fuzz.token_sort_ratio(norm_text(a), norm_text(b)))
