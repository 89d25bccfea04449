"""The normalised forms duplicates are compared in (piste.duplicates.normalise)."""

from __future__ import annotations

import pytest

from piste.duplicates.normalise import (
    email_domain,
    name_score,
    norm_company,
    norm_email,
    norm_person,
    norm_phone,
    norm_text,
)


@pytest.mark.parametrize(
    "value",
    ["Électricité Morel", "ELECTRICITE MOREL", "  électricité   morel ", "electricite-morel",
     "Electricite, Morel!", "Électricité\tMorel"],
)  # fmt: skip
def test_text_ignores_case_accents_spaces_and_punctuation(value):
    assert norm_text(value) == "electricite morel"


def test_text_of_nothing_is_empty():
    assert norm_text(None) == norm_text("") == norm_text(" - . ") == ""


def test_text_drops_dots_without_splitting_words():
    assert norm_text("S.A.R.L.") == "sarl"
    assert norm_text("L'Haÿ-les-Roses") == "l hay les roses"


@pytest.mark.parametrize(
    "value",
    ["Morel SARL", "S.A.R.L. Morel", "morel sarl", "MOREL S.A.S.", "SA Morel", "Morel (SAS)",
     "Morel EURL", "Morel S.A.", "morel"],
)  # fmt: skip
def test_company_ignores_legal_forms(value):
    assert norm_company(value) == "morel"


def test_company_keeps_other_words_in_order():
    assert norm_company("Morel & Fils S.A.R.L.") == "morel fils"
    assert norm_company("SAS Électricité-Morel") == "electricite morel"
    assert norm_company("Sas") == ""  # a legal form alone names no company


@pytest.mark.parametrize(
    "parts",
    [("Jean", "Dupont"), ("Dupont", "Jean"), ("DUPONT, Jean",), ("  jean ", " DUPONT ")],
)
def test_person_ignores_name_order_and_case(parts):
    assert norm_person(*parts) == "dupont jean"


def test_person_keeps_compound_names_apart_from_order():
    assert norm_person("Jean-Pierre", "Dupont") == norm_person("Dupont", "Jean Pierre")
    assert norm_person("Jean", "") == "jean"
    assert norm_person("", None) == ""


def test_emails_compare_in_lower_case():
    assert norm_email(" Jean.Dupont@Example.COM ") == "jean.dupont@example.com"
    assert norm_email(None) == ""
    assert email_domain("jean@Gmail.com") == "gmail.com"
    assert email_domain("not an address") == ""


@pytest.mark.parametrize(
    "typed",
    ["01 23 45 67 89", "01.23.45.67.89", "0123456789", "+33 1 23 45 67 89", "+33123456789",
     "0033 1 23 45 67 89", "(01) 23-45-67-89"],
)  # fmt: skip
def test_phones_compare_in_e164(typed):
    assert norm_phone(typed) == "+33123456789"


def test_foreign_phones_and_partial_numbers():
    assert norm_phone("+32 2 123 45 67") == "+3221234567"
    assert norm_phone("12") == "12"  # not a number yet: its digits
    assert norm_phone("") == norm_phone("   ") == ""


def test_name_score_ignores_order_and_rates_close_names():
    assert name_score("Jean Dupont", "DUPONT Jean") == 100
    assert name_score("Jean Dupont", "Jean Dupond") >= 85
    assert name_score("Jean Dupont", "Marie Curie") < 85
    assert name_score("", "Jean") == 0
