"""SIREN, SIRET, VAT and APE code checks (``piste.partners.identifiers``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from piste.partners import identifiers as ids


def messages(clean, value) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        clean(value)
    return caught.value.messages


@pytest.mark.parametrize("siren", ["552081317", "732829320", "443061841", "356000000"])
def test_valid_siren(siren):
    assert ids.siren_valid(siren)
    assert ids.siren_clean(siren) == siren


@pytest.mark.parametrize("siren", ["552081318", "732829321", "000000001"])
def test_siren_with_a_wrong_check_digit_is_invalid(siren):
    assert not ids.siren_valid(siren)
    assert messages(ids.siren_clean, siren) == ["This SIREN's check digit is wrong."]


@pytest.mark.parametrize(
    "value",
    [
        "55208131",
        "5520813170",
        "55208131A",
        "\uff15\uff15\uff12\uff10\uff18\uff11\uff13\uff11\uff17",
    ],
)
def test_siren_of_the_wrong_shape_asks_for_nine_digits(value):
    assert not ids.siren_valid(value)
    assert messages(ids.siren_clean, value) == ["Enter the 9 digits of a SIREN."]


def test_siren_is_normalised_from_what_people_type():
    assert ids.siren_clean(" 552 081 317 ") == "552081317"
    assert ids.siren_clean("552.081.317") == "552081317"
    assert ids.siren_clean("552\u00a0081\u202f317") == "552081317"
    assert ids.normalise_siren("552-081-317") == "552081317"
    assert ids.siren_clean("") == "" and ids.siren_clean(None) == ""


@pytest.mark.parametrize("siret", ["73282932000074", "55208131700018", "44306184100013"])
def test_valid_siret(siret):
    assert ids.siret_valid(siret)
    assert ids.siret_clean(siret) == siret


def test_siret_with_a_wrong_check_digit_is_invalid():
    assert not ids.siret_valid("73282932000075")
    assert messages(ids.siret_clean, "732 829 320 00075") == ["This SIRET's check digit is wrong."]


def test_siret_of_the_wrong_shape_asks_for_fourteen_digits():
    for value in ("7328293200007", "732829320000740", "7328293200007X"):
        assert messages(ids.siret_clean, value) == ["Enter the 14 digits of a SIRET."]


def test_la_poste_sirets_follow_their_own_rule():
    # An establishment: Luhn fails, the digit sum (45) is a multiple of 5.
    assert not ids.luhn_valid("35600000049837")
    assert ids.siret_valid("35600000049837")
    assert ids.siret_clean("356 000 000 49837") == "35600000049837"
    # The head office is plain Luhn.
    assert ids.luhn_valid("35600000000048") and ids.siret_valid("35600000000048")
    # The exception is La Poste's only: the same digit sum elsewhere is not enough.
    assert sum(map(int, "55208131700012")) % 5 == 0 and not ids.luhn_valid("55208131700012")
    assert not ids.siret_valid("55208131700012")
    # And a La Poste SIRET with neither rule is refused.
    assert not ids.siret_valid("35600000049838")


def test_vat_numbers():
    assert ids.vat_valid("FR03552081317")
    assert ids.vat_clean("fr 03 552 081 317") == "FR03552081317"
    assert not ids.vat_valid("FR04552081317")
    assert messages(ids.vat_clean, "FR04552081317") == ["This VAT number's check digits are wrong."]
    # Other EU countries, through python-stdnum.
    assert ids.vat_clean("DE 136 695 976") == "DE136695976"
    assert ids.vat_clean("BE0403170701") == "BE0403170701"


def test_vat_without_an_eu_country_code_says_how_to_write_it():
    expected = ["Enter an intra-EU VAT number starting with its country code, like FR03552081317."]
    assert messages(ids.vat_clean, "03552081317") == expected
    assert messages(ids.vat_clean, "XX03552081317") == expected
    assert messages(ids.vat_clean, "x" * 500) == expected
    assert messages(ids.vat_clean, "FR0355208131") == [
        "This VAT number does not have the format of its country."
    ]
    assert ids.vat_clean("  ") == ""


def test_vat_from_siren():
    assert ids.vat_from_siren("552081317") == "FR03552081317"
    assert ids.vat_from_siren("552 081 317") == "FR03552081317"
    assert ids.vat_valid(ids.vat_from_siren("732829320"))
    with pytest.raises(ValueError):
        ids.vat_from_siren("552081318")


def test_ape_codes():
    assert ids.ape_clean("62.01Z") == "62.01Z"
    assert ids.ape_clean("6201z") == "62.01Z"
    assert ids.ape_clean(" 62 01 Z ") == "62.01Z"
    assert ids.ape_clean("72.2A") == "72.2A"  # NAF rev. 1, still on old units
    assert ids.ape_clean("") == ""
    for value in ("62.01", "ABCDE", "620.1Z", "62.01ZZ"):
        assert messages(ids.ape_clean, value) == ["Enter an APE code like 62.01Z."]


def test_siret_must_belong_to_the_siren_given():
    ids.siret_siren_check("732829320", "73282932000074")
    ids.siret_siren_check("", "73282932000074")
    ids.siret_siren_check("732829320", "")
    assert messages(lambda v: ids.siret_siren_check("552081317", v), "73282932000074") == [
        "This SIRET does not belong to the SIREN above."
    ]


def test_lookup_number_takes_a_siret_or_a_siren():
    assert ids.lookup_number_clean("732 829 320 00074") == "73282932000074"
    assert ids.lookup_number_clean("732829320") == "732829320"
    assert messages(ids.lookup_number_clean, "") == [
        "Enter a SIRET (14 digits) or a SIREN (9 digits)."
    ]
    assert messages(ids.lookup_number_clean, "1234") == [
        "Enter a SIRET (14 digits) or a SIREN (9 digits)."
    ]
    assert messages(ids.lookup_number_clean, "732829321") == ["This SIREN's check digit is wrong."]


def test_django_validators_raise_the_same_messages():
    ids.validate_siren("552081317")
    ids.validate_siret("35600000049837")
    ids.validate_vat("FR03552081317")
    ids.validate_ape("62.01Z")
    for validator, value in (
        (ids.validate_siren, "552081318"),
        (ids.validate_siret, "123"),
        (ids.validate_vat, "FR04552081317"),
        (ids.validate_ape, "x"),
    ):
        with pytest.raises(ValidationError):
            validator(value)


def test_luhn():
    assert ids.luhn_valid("79927398713")
    assert not ids.luhn_valid("79927398710")
