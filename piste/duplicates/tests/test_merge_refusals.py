"""Merges that are refused: who may not merge, what may not be merged, and a failure half-way.
Each refusal is a clear message (or a 403) and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from piste.core.models import Activity
from piste.duplicates import services_merge
from piste.duplicates.models import MergeLog
from piste.duplicates.services_merge import records_merge
from piste.duplicates.tests.merge_support import actor
from piste.duplicates.tests.test_merge import reload
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.opportunities.models import Opportunity
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(personas):
    a = make_lead(personas.salesperson, last_name="A", email="a@ex.fr")
    b = make_lead(personas.salesperson, last_name="B", email="b@ex.fr")
    return a, b


def nothing_written(*records: Any, lines: int) -> None:
    assert MergeLog.objects.count() == 0
    assert Activity.objects.count() == lines
    for record in records:
        fresh = reload(record)
        assert fresh.merged_into_id is None
        assert fresh.version == record.version
        assert fresh.email == record.email


@pytest.mark.parametrize("persona", ["salesperson", "teammate", "outsider", "marketing", "reader"])
def test_merging_needs_the_rights_to_change_and_delete(personas, pair, persona):
    lines = Activity.objects.count()
    with pytest.raises(PermissionDenied):
        records_merge(
            actor=actor(getattr(personas, persona)),
            entity="lead",
            survivor=pair[0],
            others=[pair[1]],
            choices={},
        )
    nothing_written(*pair, lines=lines)


def test_another_company_is_told_the_records_are_not_visible(personas, pair):
    lines = Activity.objects.count()
    with pytest.raises(ValidationError, match="do not exist or are not visible"):
        records_merge(
            actor=actor(personas.other),
            entity="lead",
            survivor=pair[0],
            others=[pair[1]],
            choices={},
        )
    nothing_written(*pair, lines=lines)


def test_records_outside_the_scope_are_refused(personas, pair):
    """A manager restricted to their own records may merge those only."""
    Membership.objects.filter(user=personas.manager).update(scope="own")
    lines = Activity.objects.count()
    with pytest.raises(ValidationError, match="not visible"):
        records_merge(
            actor=actor(personas.manager),
            entity="lead",
            survivor=pair[0],
            others=[pair[1]],
            choices={},
        )
    nothing_written(*pair, lines=lines)


def _refused(personas, pair, message: str, **kwargs: Any) -> None:
    lines = Activity.objects.count()
    arguments = {
        "actor": actor(personas.manager),
        "entity": "lead",
        "survivor": pair[0],
        "others": [pair[1]],
        "choices": {},
        **kwargs,
    }
    with pytest.raises(ValidationError) as exc:
        records_merge(**arguments)
    assert message in " ".join(exc.value.messages)
    nothing_written(*pair, lines=lines)


def test_one_record_is_refused(personas, pair):
    _refused(personas, pair, "at least two", others=[])


def test_twenty_one_records_are_refused(personas, pair):
    many = [make_lead(personas.salesperson) for _ in range(20)]
    _refused(personas, pair, "At most 20", others=[pair[1], *many])


def test_unknown_records_are_refused(personas, pair):
    ghost = Lead(pk=999_999, company=personas.company)
    _refused(personas, pair, "do not exist or are not visible", others=[pair[1], ghost])


def test_records_of_another_kind_are_refused(personas, pair):
    partner = make_partner(personas.salesperson)
    _refused(personas, pair, "Choose leads only", others=[partner])


def test_an_unknown_entity_is_refused(personas, pair):
    _refused(personas, pair, "Choose leads, partners or contacts", entity="opportunity")


def test_the_survivor_among_the_others_is_refused(personas, pair):
    _refused(personas, pair, "cannot be one of the records merged", others=[pair[1], pair[0]])


def test_a_record_twice_is_refused(personas, pair):
    _refused(personas, pair, "merged once", others=[pair[1], pair[1]])


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"nope": 1}, "“nope” is not a field to choose"),
        ({"email": 123456}, "one of the merged records: “email”"),
        ({"email": "1"}, "one of the merged records"),
        ({"email": True}, "one of the merged records"),
        ({"lost_reason": None}, "not a field to choose"),
        ({"merged_into": None}, "not a field to choose"),
        ({"company": None}, "not a field to choose"),
        (["email"], "Choose, for each field"),
    ],
)
def test_malformed_choices_are_refused(personas, pair, choices, message):
    _refused(personas, pair, message, choices=choices)


def test_an_already_merged_record_is_refused(personas, pair):
    c = make_lead(personas.salesperson, last_name="C")
    records_merge(
        actor=actor(personas.manager), entity="lead", survivor=c, others=[pair[1]], choices={}
    )
    log_count, lines = MergeLog.objects.count(), Activity.objects.count()
    with pytest.raises(ValidationError, match="already merged"):
        records_merge(
            actor=actor(personas.manager),
            entity="lead",
            survivor=pair[0],
            others=[pair[1]],
            choices={},
        )
    assert MergeLog.objects.count() == log_count and Activity.objects.count() == lines
    assert reload(pair[0]).version == pair[0].version


def test_a_customer_flag_from_another_record_is_kept_by_those_who_may(personas):
    a = make_partner(personas.salesperson, name="A", is_prospect=True)
    b = make_partner(personas.administrator, name="B", is_customer=True)
    manager = actor(personas.manager)
    # Sales managers may create customers: the merge keeps the other's customer flag.
    records_merge(actor=manager, entity="partner", survivor=a, others=[b], choices={})
    assert reload(a).is_customer


def test_a_failure_half_way_writes_nothing(personas, monkeypatch):
    """The related rows moved before the failure move back: one transaction."""
    a = make_partner(personas.salesperson, name="A")
    b = make_partner(personas.salesperson, name="B", email="b@ex.fr")
    contact = make_contact(personas.salesperson, b)
    opportunity = make_opportunity(personas.salesperson, b)
    lines = Activity.objects.count()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services_merge, "move_generic", broken)
    with pytest.raises(RuntimeError):
        records_merge(
            actor=actor(personas.manager), entity="partner", survivor=a, others=[b], choices={}
        )
    assert reload(contact).main_partner_id == b.pk
    assert Opportunity.objects.get(pk=opportunity.pk).partner_id == b.pk
    fresh = reload(a)
    assert fresh.email == "" and fresh.version == a.version
    assert reload(b).merged_into_id is None
    assert MergeLog.objects.count() == 0 and Activity.objects.count() == lines
