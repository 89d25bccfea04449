"""Grouping rows by their normalised keys (piste.duplicates.grouping): no database."""

from __future__ import annotations

from piste.duplicates.fields import FIELDS
from piste.duplicates.grouping import columns_of, group_rows

LEAD = FIELDS["lead"]


def fields(*keys: str, entity: str = "lead"):
    return [FIELDS[entity][k] for k in keys]


def test_columns_are_read_in_the_fields_order():
    assert columns_of(fields("name", "company")) == ["first_name", "last_name", "enterprise_name"]
    assert columns_of(fields("phone", "city", entity="contact")) == [
        "fixed_phone",
        "mobile_phone",
        "address__city_name",
    ]


def test_groups_come_largest_first_then_by_key():
    rows = [
        (1, "Jean", "Dupont", "Morel SARL"),
        (2, "DUPONT", "jean", "S.A.R.L. Morel"),
        (3, "Anne", "Durand", "Acme"),
        (4, "anne", "DURAND", "ACME SAS"),
        (5, "Anne", "Durand", "Acme S.A."),
        (6, "Paul", "Martin", "Acme"),
        (7, "Zoé", "Abel", "Zeta"),
        (8, "Zoe", "Abel", "Zeta"),
    ]
    groups = group_rows(rows, fields("name", "company"))
    assert [(g.key, g.ids) for g in groups] == [
        ("anne durand · acme", [3, 4, 5]),
        ("abel zoe · zeta", [7, 8]),
        ("dupont jean · morel", [1, 2]),
    ]


def test_records_with_an_empty_value_are_left_out():
    rows = [(1, "", "Dupont", ""), (2, "", "Dupont", ""), (3, "Jean", "Dupont", "SARL")]
    # No company (a legal form alone is none): never a duplicate on the company.
    assert group_rows(rows, fields("name", "company")) == []
    assert [g.ids for g in group_rows([(1, ""), (2, ""), (3, None)], fields("email"))] == []


def test_each_phone_of_a_record_may_match():
    rows = [
        (1, "+33123456789", "+33612345678"),
        (2, "01 23 45 67 89", ""),
        (3, "", "06 12 34 56 78"),
        (4, "+33699999999", "+33699999999"),  # the same number twice counts once
        (5, "", ""),
        (6, "", ""),
    ]
    groups = group_rows(rows, fields("phone"))
    assert sorted((g.key, g.ids) for g in groups) == [
        ("+33123456789", [1, 2]),
        ("+33612345678", [1, 3]),
    ]


def test_two_phones_shared_make_one_group_titled_by_both():
    rows = [(1, "+33123456789", "+33612345678"), (2, "+33612345678", "+33123456789")]
    groups = group_rows(rows, fields("phone"))
    assert [(g.key, g.ids) for g in groups] == [("+33123456789 / +33612345678", [1, 2])]


def test_a_multi_valued_field_combines_with_the_others():
    rows = [
        (1, "+33123456789", "+33612345678", "Lyon"),
        (2, "+33612345678", "", "LYON"),
        (3, "+33123456789", "", "Paris"),
    ]
    groups = group_rows(rows, fields("phone", "city"))
    assert [(g.key, g.ids) for g in groups] == [("+33612345678 · lyon", [1, 2])]


def test_public_email_domains_never_count():
    rows = [(1, "gmail.com"), (2, "gmail.com"), (3, "acme.fr"), (4, "ACME.fr")]
    groups = group_rows(rows, fields("email_domain"), ignored_domains={"gmail.com"})
    assert [(g.key, g.ids) for g in groups] == [("acme.fr", [3, 4])]


def test_partners_compare_organisations_and_persons_each_their_way():
    rows = [
        (1, "organisation", "", "Morel SARL"),
        (2, "organisation", "", "S.A.S. MOREL"),
        (3, "individual", "Jean", "Dupont"),
        (4, "individual", "DUPONT", "Jean"),
    ]
    groups = group_rows(rows, fields("name", entity="partner"))
    assert sorted((g.key, g.ids) for g in groups) == [("dupont jean", [3, 4]), ("morel", [1, 2])]
    company_only = group_rows(
        [(r[0], r[1], r[3]) for r in rows], fields("company", entity="partner")
    )
    assert [g.ids for g in company_only] == [[1, 2]]


def test_progress_is_told_every_so_many_rows_and_at_the_end():
    seen: list[int] = []
    rows = [(i, f"a{i}@x.fr") for i in range(1, 8)]
    group_rows(rows, fields("email"), progress=seen.append, every=3)
    assert seen == [3, 6, 7]


def test_siren_compares_its_digits():
    rows = [(1, "123 456 789"), (2, "123456789"), (3, "")]
    assert [g.ids for g in group_rows(rows, fields("siren"))] == [[1, 2]]
