"""The French fast paths of ``phone_normalise`` and ``phone_search_digits`` give exactly what
the general parser gives: the same stored number, the same refusals, the same search digits."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from piste.core.contact import phone_normalise, phone_search_digits


def parsed_by_phonenumbers(text: str) -> str | None:
    """What the general parser stores for ``text`` typed in France (None: refused)."""
    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalised(text: str) -> str | None:
    try:
        return phone_normalise(text)
    except ValidationError:
        return None


def typed_forms(significant: str) -> list[str]:
    pairs = " ".join(significant[i : i + 2] for i in range(1, 9, 2))
    return [
        f"0{significant}",
        f"0{significant[0]} {pairs}",
        f"0{significant[0]}.{pairs.replace(' ', '.')}",
        f"0{significant[0]}-{pairs.replace(' ', '-')}",
        f"+33{significant}",
        f"+33 {significant[0]} {pairs}",
    ]


def test_french_numbers_are_read_as_the_general_parser_reads_them() -> None:
    rng = random.Random(33)
    # Every first two digits (mobiles, landlines, special and unassigned ranges), then random.
    numbers = [f"{a}{b}{rng.randrange(10**7):07d}" for a in range(1, 10) for b in range(10)]
    numbers += [f"{rng.randrange(1, 10)}{rng.randrange(10**8):08d}" for _ in range(3000)]
    valid = refused = 0
    for significant in numbers:
        for text in typed_forms(significant):
            expected = parsed_by_phonenumbers(text)
            assert normalised(text) == expected, text
            valid += expected is not None
            refused += expected is None
    assert valid > 1000 and refused > 1000  # both outcomes were compared


@pytest.mark.parametrize(
    "text",
    [
        "+33 (0)1 23 45 67 89",
        "0033 1 23 45 67 89",
        "01 23 45 67 89 poste 12",
        "1 23 45 67 89",
        "00 12 34 56 78",
        "+44 20 7946 0958",
        "06 12 34 56 7",
        "06 12 34 56 789",
    ],
)
def test_other_forms_take_the_general_parser(text: str) -> None:
    assert normalised(text) == parsed_by_phonenumbers(text)


def test_search_digits_of_french_numbers_match_phonenumbers_formatting() -> None:
    rng = random.Random(34)
    checked = 0
    for _ in range(5000):
        significant = f"{rng.randrange(1, 10)}{rng.randrange(10**8):08d}"
        number = phonenumbers.PhoneNumber(country_code=33, national_number=int(significant))
        if not phonenumbers.is_valid_number(number):
            continue
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        national_digits = "".join(ch for ch in national if ch.isdigit())
        assert phone_search_digits(f"+33{significant}") == f"33{significant} {national_digits}"
        checked += 1
    assert checked > 1000
    assert phone_search_digits("+442079460958") == "442079460958 02079460958"
