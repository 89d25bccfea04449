"""fold() and keyset pagination (piste/core/text.py, piste/core/pagination.py)."""

from __future__ import annotations

import base64
import json

import pytest

from piste.core.models import Tag
from piste.core.pagination import keyset_page
from piste.core.testing import make_company
from piste.core.text import fold

# fold ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Électricité ", "electricite"),
        ("ÉLECTRICITÉ", "electricite"),
        ("electricite", "electricite"),
        ("Crème  brûlée\t\n à  l'ancienne", "creme brulee a l ancienne"),
        ("Saint-Denis", "saint denis"),
        ("L\u2019Haÿ-les-Roses", "l hay les roses"),
        ("Ça va", "ca va"),
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),  # the "fi" ligature
        ("Ångström", "angstrom"),
        ("São Paulo", "sao paulo"),
        ("Œuvre", "œuvre"),  # Œ is a letter of its own, not an accented O
        ("\u00a0Espace\u00a0insécable\u00a0", "espace insecable"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_fold_ignores_case_accents_and_spaces(text, expected):
    assert fold(text) == expected


def test_fold_is_idempotent():
    for text in ["  Électricité ", "Straße", "Crème  brûlée"]:
        assert fold(fold(text)) == fold(text)


def test_fold_of_precomposed_and_decomposed_accents_agree():
    assert fold("e\u0301lectricite\u0301") == fold("\u00e9lectricit\u00e9") == "electricite"


# keyset_page --------------------------------------------------------------------------------


@pytest.fixture
def company(db):
    return make_company("Pagination SA")


def walk(queryset, sort: str, per_page: int) -> tuple[list[list[int]], list[list[int]]]:
    """Every page forwards with next cursors, then backwards with prev cursors."""
    forwards: list[list[int]] = []
    page = keyset_page(queryset, sort=sort, cursor=None, per_page=per_page)
    assert page.prev_cursor is None  # the first page has no previous page
    pages = [page]
    while True:
        forwards.append([row.pk for row in page.rows])
        if page.next_cursor is None:
            break
        page = keyset_page(queryset, sort=sort, cursor=page.next_cursor, per_page=per_page)
        pages.append(page)
        assert len(pages) < 100, "the walk does not end"
    backwards: list[list[int]] = [[row.pk for row in page.rows]]
    while page.prev_cursor is not None:
        page = keyset_page(queryset, sort=sort, cursor=page.prev_cursor, per_page=per_page)
        backwards.append([row.pk for row in page.rows])
        assert len(backwards) < 100, "the walk does not end"
    backwards.reverse()
    return forwards, backwards


def expected_order(queryset, sort: str) -> list[int]:
    field = sort.lstrip("-")
    order = [sort, "-id" if sort.startswith("-") else "id"]
    assert field
    return list(queryset.order_by(*order).values_list("pk", flat=True))


@pytest.mark.parametrize("sort", ["color", "-color"])
def test_ties_are_broken_by_id_forwards_and_backwards(company, sort):
    for i in range(30):
        Tag.objects.create(company=company, name=f"Tag {i:02}", color="#123456")
    qs = Tag.objects.filter(company=company)
    forwards, backwards = walk(qs, sort, per_page=7)
    flat = [pk for page in forwards for pk in page]
    assert len(flat) == 30 and len(set(flat)) == 30  # every row exactly once
    assert flat == expected_order(qs, sort)
    assert [len(p) for p in forwards] == [7, 7, 7, 7, 2]
    assert backwards == forwards  # walking back shows the very same pages


@pytest.mark.parametrize("sort", ["name_key", "-name_key", "color", "-color", "created_at"])
def test_mixed_values_with_ties_are_each_seen_once(company, sort):
    colours = ["#000000", "#ffffff", "#123456"]
    for i in range(23):
        # Colours repeat every third row: the ties are broken by id.
        Tag.objects.create(company=company, name=f"Étiquette {i:02}", color=colours[i % 3])
    qs = Tag.objects.filter(company=company)
    forwards, backwards = walk(qs, sort, per_page=5)
    flat = [pk for page in forwards for pk in page]
    assert flat == expected_order(qs, sort)
    assert backwards == forwards


def test_exact_multiple_of_page_size_has_no_empty_last_page(company):
    for i in range(10):
        Tag.objects.create(company=company, name=f"T{i}")
    forwards, _ = walk(Tag.objects.all(), "name_key", per_page=5)
    assert [len(p) for p in forwards] == [5, 5]


def test_empty_queryset_gives_an_empty_page(company):
    page = keyset_page(Tag.objects.all(), sort="name_key", cursor=None, per_page=5)
    assert page.rows == [] and page.next_cursor is None and page.prev_cursor is None


def _cursor(payload: object) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TAMPERED = {
    "percent-signs": "%%%",
    "punctuation": "!!!!",
    "spaces": "not base64 at all",
    "slashes": "////",
    "a-string": _cursor("just a string"),
    "too-short": _cursor([1, 2]),
    "unknown-direction": _cursor(["a", 1, "x"]),
    "id-as-string": _cursor(["a", "1", "n"]),
    "id-as-float": _cursor(["a", 1.5, "n"]),
    "an-object": _cursor({"value": 1}),
    "bad-date": _cursor([{"dt": "not a date"}, 1, "n"]),
    "impossible-date": _cursor([{"dt": "2024-13-45T99:00:00"}, 1, "n"]),
    "null-forwards": _cursor([None, 1, "n"]),
    "null-backwards": _cursor([None, 1, "p"]),
    "binary": base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_tampered_cursor_shows_the_first_page(company, cursor):
    for i in range(12):
        Tag.objects.create(company=company, name=f"T{i:02}")
    first = keyset_page(Tag.objects.all(), sort="name_key", cursor=None, per_page=5)
    page = keyset_page(Tag.objects.all(), sort="name_key", cursor=cursor, per_page=5)
    assert [r.pk for r in page.rows] == [r.pk for r in first.rows]
    assert page.prev_cursor is None


@pytest.mark.parametrize("sort", ["created_at", "-created_at"])
def test_cursor_of_another_sort_shows_the_first_page(company, sort):
    """A bookmarked cursor from the colour sort, replayed on the date sort, is not a 500."""
    for i in range(12):
        Tag.objects.create(company=company, name=f"T{i:02}")
    by_colour = keyset_page(Tag.objects.all(), sort="color", cursor=None, per_page=5)
    first = keyset_page(Tag.objects.all(), sort=sort, cursor=None, per_page=5)
    page = keyset_page(Tag.objects.all(), sort=sort, cursor=by_colour.next_cursor, per_page=5)
    assert [r.pk for r in page.rows] == [r.pk for r in first.rows]


def test_datetime_cursor_round_trips(company):
    for i in range(12):
        Tag.objects.create(company=company, name=f"T{i:02}")
    forwards, backwards = walk(Tag.objects.all(), "-created_at", per_page=5)
    assert [pk for p in forwards for pk in p] == expected_order(Tag.objects.all(), "-created_at")
    assert backwards == forwards


def test_fold_of_ascii_text_is_the_full_folding():
    """The ASCII shortcut gives what decomposing, stripping and casefolding would."""
    import string
    import unicodedata

    from piste.core.text import _SEPARATORS, _SPACES

    def slow(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return _SPACES.sub(" ", _SEPARATORS.sub(" ", stripped.casefold())).strip()

    samples = [string.printable, "  SAINT-Denis  l'Hay ", "Dupont\tet\nFILS", "ABC-def'GHI"]
    samples += [chr(c) * 3 for c in range(128)]
    for text in samples:
        assert fold(text) == slow(text), repr(text)
    assert fold("Électricité") == "electricite"  # the non-ASCII path is unchanged


def test_fold_of_any_text_is_the_character_by_character_folding():
    """Dropping combining marks with ``str.translate`` gives what the loop over each character
    gave, for accented Latin, Greek, Vietnamese, Hangul, emoji and every mark on its own."""
    import random
    import unicodedata

    from piste.core.text import _SEPARATORS, _SPACES

    def slow(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return _SPACES.sub(" ", _SEPARATORS.sub(" ", stripped.casefold())).strip()

    rng = random.Random(7)
    samples = ["Hélène Côté-Noël", "Ωμέγα Ἀθῆναι", "Nguyễn Thị Mỹ", "한국어", "Straße ﬁn ½ 👍🏽"]
    samples += [
        "a" + "".join(chr(c) for c in range(start, start + 64)) for start in (0x300, 0x1DC0)
    ]
    samples += ["".join(chr(rng.randrange(0x80, 0x3000)) for _ in range(40)) for _ in range(500)]
    for text in samples:
        assert fold(text) == slow(text), repr(text)
