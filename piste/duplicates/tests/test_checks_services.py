"""Starting a duplicate check: what it reads (selection, list, filters, access), what it
refuses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from piste.duplicates import services_checks as services
from piste.duplicates.models import DuplicateGroup, DuplicateScan
from piste.duplicates.tests.checks_support import actor, groups_of, ids, lead, leads_world
from piste.partners.tests.factories import make_contact, make_partner

DUPONT = "dupont jean · morel"
DURAND = "anne durand · acme"


@pytest.fixture
def world(personas):
    return leads_world(personas)


def check(user, **kwargs):
    kwargs.setdefault("entity", "lead")
    kwargs.setdefault("fields", ["name", "company"])
    return services.duplicate_scan_start(actor=actor(user), **kwargs)


def test_a_small_check_runs_at_once_with_groups_largest_first(personas, world):
    scan = check(personas.salesperson)
    assert scan.state == DuplicateScan.State.DONE
    # The outsider's lead (other team), the merged one and company B's are never read.
    assert groups_of(scan) == [
        (DUPONT, ids(world["s1"], world["s2"], world["t1"])),
        (DURAND, ids(world["a1"], world["a2"])),
    ]
    assert (scan.group_count, scan.record_count, scan.processed) == (2, 5, 6)
    assert scan.finished_at is not None


def test_the_company_sees_what_its_role_sees(personas, world):
    scan = check(personas.administrator)
    assert groups_of(scan)[0] == (
        DUPONT,
        ids(world["s1"], world["s2"], world["t1"], world["o1"]),
    )
    other = check(personas.other)
    assert groups_of(other) == []  # company B's single Jean Dupont


def test_a_selection_compares_its_records_only(personas, world):
    scan = check(personas.salesperson, record_ids=[world["s1"].pk, world["s2"].pk, world["a1"].pk])
    assert groups_of(scan) == [(DUPONT, ids(world["s1"], world["s2"]))]
    assert scan.record_ids == [world["s1"].pk, world["s2"].pk, world["a1"].pk]


def test_a_list_check_uses_the_lists_filters(personas, world):
    # My leads: the salesperson's own (s1, s2, solo).
    mine = check(personas.salesperson, list_query="kind=mine")
    assert groups_of(mine) == [(DUPONT, ids(world["s1"], world["s2"]))]
    # The open leads searched for "acme".
    acme = check(personas.salesperson, list_query="kind=open&q=acme")
    assert groups_of(acme) == [(DURAND, ids(world["a1"], world["a2"]))]
    assert acme.list_query == "kind=open&q=acme"
    # A filter on the assignee: the manager's leads.
    assigned = check(personas.salesperson, list_query=f"assigned={personas.manager.pk}")
    assert groups_of(assigned) == [(DURAND, ids(world["a1"], world["a2"]))]


def test_other_fields_compare_other_values(personas, world):
    emails = check(personas.salesperson, fields=["email"])
    assert groups_of(emails) == [("anne@acme.fr", ids(world["a1"], world["a2"]))]
    phones = check(personas.salesperson, fields=["phone"])
    assert groups_of(phones) == [("+33612345678", ids(world["s2"], world["t1"]))]


def test_partner_and_contact_checks(personas):
    morel = make_partner(personas.salesperson, name="Morel SARL")
    make_partner(personas.salesperson, name="S.A.S. Morel")
    make_partner(personas.manager, name="Morel", is_customer=True)
    make_partner(personas.other, name="Morel")
    acme = make_partner(personas.salesperson, name="Acme")
    make_contact(personas.salesperson, morel, first_name="Jean", last_name="Dupont")
    make_contact(personas.salesperson, morel, first_name="DUPONT", last_name="Jean")
    make_contact(personas.salesperson, acme, first_name="Jean", last_name="Dupont")
    partners = check(personas.salesperson, entity="partner", fields=["name"])
    assert [(k, len(i)) for k, i in groups_of(partners)] == [("morel", 3)]
    # The accounts page's prospects whose name starts with "mor".
    prospects = check(personas.salesperson, entity="partner", fields=["name"],
                      list_query="q=mor&kind=prospects")  # fmt: skip
    assert [(k, len(i)) for k, i in groups_of(prospects)] == [("morel", 2)]
    contacts = check(personas.salesperson, entity="contact", fields=["name", "company"])
    assert [(k, len(i)) for k, i in groups_of(contacts)] == [("dupont jean · morel", 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fields": []}, "Choose at least one field"),
        ({"fields": ["name", "shoe_size"]}, "“shoe_size” is not a field"),
        ({"entity": "opportunity"}, "leads, partners or contacts only"),
        ({"record_ids": ["12", "abc"]}, "invalid record id"),
        ({"record_ids": ["-3", "4"]}, "invalid record id"),
        ({"record_ids": ["99999999999999999999999", "4"]}, "invalid record id"),
        ({"record_ids": [str(n) for n in range(1, 10_003)]}, "At most 10,000 records"),
        ({"record_ids": ["5"]}, "at least two records"),
        ({"list_query": "q=" + "x" * 5000}, "too long"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(personas, world, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        check(personas.salesperson, **kwargs)
    assert not DuplicateScan.objects.exists()


def test_records_the_user_does_not_see_are_refused(personas, world):
    for unseen in ("o1", "x1", "m1"):  # other team, other company, merged
        with pytest.raises(ValidationError, match="1 selected record cannot be checked"):
            check(personas.salesperson, record_ids=[world["s1"].pk, world[unseen].pk])
    assert not DuplicateScan.objects.exists()


def test_a_larger_check_is_queued_for_the_background(personas, world, monkeypatch):
    monkeypatch.setattr(services, "INLINE_MAX", 3)
    scan = check(personas.salesperson)
    assert scan.state == DuplicateScan.State.QUEUED
    assert not DuplicateGroup.objects.exists()


def test_the_domain_field_skips_public_domains(personas):
    for name, email in (("A", "a@gmail.com"), ("B", "b@gmail.com"), ("C", "c@acme.fr"),
                        ("D", "d@ACME.fr")):  # fmt: skip
        lead(personas.salesperson, "X", name, email=email)
    scan = check(personas.salesperson, fields=["email_domain"])
    assert [k for k, _ids in groups_of(scan)] == ["acme.fr"]
