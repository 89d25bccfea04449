"""Undoing a merge (``services_merge.merge_undo``): everything back where it was, and refused
while a later merge depends on it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from piste.core.models import Activity, Tag
from piste.duplicates.models import MergeLog
from piste.duplicates.services_merge import merge_undo, records_merge
from piste.duplicates.tests.merge_support import actor, last_activity_id, pointers, table_counts
from piste.duplicates.tests.test_merge import reload, tag, timeline
from piste.leads.models import Lead
from piste.leads.tests.factories import address_data, make_lead
from piste.opportunities.models import Opportunity
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.orders import services as order_services
from piste.partners import services as partner_services
from piste.partners.models import Contact, Partner
from piste.partners.tests.factories import make_contact, make_partner

pytestmark = pytest.mark.django_db

FIELDS = {
    "lead": ["first_name", "last_name", "email", "fixed_phone", "address_id", "full_name"],
    "partner": ["name", "email", "website", "parent_id", "is_closed", "name_key", "city_name"],
    "contact": ["first_name", "last_name", "email", "main_partner_id", "address_id"],
}


def values(obj, entity: str) -> dict:
    obj = reload(obj)
    return {name: getattr(obj, name) for name in FIELDS[entity]}


def _world(personas, entity: str):
    """Three records of ``entity`` with one of every kind of related row."""
    user = personas.salesperson
    t1, t2, t3 = (tag(personas, n) for n in ("Salon", "VIP", "Export"))
    holder = make_partner(user, name="Holder")
    records: list[Any]
    if entity == "lead":
        records = [
            make_lead(user, last_name="A", tags=[t1, t2], address=address_data(line1="1 rue A")),
            make_lead(
                user,
                last_name="B",
                email="b@ex.fr",
                tags=[t2, t3],
                address=address_data(line1="2 rue B", city_name="Nancy"),
            ),
            make_lead(user, last_name="C", fixed_phone="0611223344"),
        ]
        for r in records[1:]:
            opportunity = make_opportunity(user, holder)
            Opportunity.objects.filter(pk=opportunity.pk).update(lead=r)
        choices = {"address": records[1].pk, "last_name": records[1].pk}
        return Lead, records, choices
    if entity == "partner":
        records = [
            make_partner(user, name="A", tags=[t1]),
            make_partner(user, name="B", email="b@ex.fr", tags=[t1, t2], parent=holder),
            make_partner(user, name="C", website="https://c.fr", is_closed=True),
        ]
        make_partner(user, name="Sub", parent=records[1])
        for r in records:
            contact = make_contact(user, r, last_name=f"Of {r.name}")
            make_opportunity(user, r, contacts=[contact])
        shared = make_contact(user, holder, last_name="Shared")
        for r in records:
            partner_services.contact_attach(actor=actor(user), contact=shared, partner=r)
        mine = make_contact(user, records[0], last_name="Mine")
        partner_services.contact_attach(actor=actor(user), contact=mine, partner=records[2])
        order_services.order_create(
            actor=actor(user),
            partner=records[2],
            data={"order_date": date(2026, 1, 5), "total": Decimal("10"), "description": ""},
        )
        lead = make_lead(user)
        Lead.objects.filter(pk=lead.pk).update(partner=records[1])
        choices = {"name": records[1].pk, "parent": records[1].pk, "is_closed": records[2].pk}
        return Partner, records, choices
    p2 = make_partner(user, name="P2")
    records = [
        make_contact(user, holder, last_name="A"),
        make_contact(user, holder, last_name="B", email="b@ex.fr"),
        make_contact(user, p2, last_name="C"),
    ]
    partner_services.contact_attach(actor=actor(user), contact=records[1], partner=p2)
    make_opportunity(user, holder, contacts=records[:2])
    lead = make_lead(user)
    Lead.objects.filter(pk=lead.pk).update(partner=holder, contact=records[2])
    choices = {"main_partner": records[2].pk, "last_name": records[1].pk}
    return Contact, records, choices


@pytest.mark.parametrize("entity", ["lead", "partner", "contact"])
def test_undo_puts_everything_back(personas, entity):
    model, records, choices = _world(personas, entity)
    ids = [r.pk for r in records]
    counts = table_counts(model)
    upto = last_activity_id()
    before = pointers(model, ids, upto_activity=upto)
    fields = [values(r, entity) for r in records]
    tags = [sorted(reload(r).tags.values_list("pk", flat=True)) for r in records]
    closed = dict(Contact.objects.values_list("pk", "partner_closed"))
    manager = actor(personas.manager)
    log = records_merge(
        actor=manager, entity=entity, survivor=records[0], others=records[1:], choices=choices
    )
    assert values(records[0], entity) != fields[0]
    merge_undo(actor=manager, log=log)
    assert table_counts(model) == counts
    assert pointers(model, ids, upto_activity=upto) == before
    assert [values(r, entity) for r in records] == fields
    assert [sorted(reload(r).tags.values_list("pk", flat=True)) for r in records] == tags
    assert dict(Contact.objects.values_list("pk", "partner_closed")) == closed
    assert all(reload(r).merged_into_id is None and reload(r).merged_at is None for r in records)
    log.refresh_from_db()
    assert log.undone_at is not None and log.undone_by == personas.manager
    assert "Merge undone" in timeline(records[0])[-1].data["message"]
    assert "undone" in timeline(records[1])[-1].data["message"]


def test_undo_leaves_rows_moved_again_since(personas):
    """A row re-pointed by a user after the merge stays where the user put it."""
    a, b = (
        make_partner(personas.salesperson, name="A"),
        make_partner(personas.salesperson, name="B"),
    )
    elsewhere = make_partner(personas.salesperson, name="Elsewhere")
    opportunity = make_opportunity(personas.salesperson, b)
    manager = actor(personas.manager)
    log = records_merge(actor=manager, entity="partner", survivor=a, others=[b], choices={})
    Opportunity.objects.filter(pk=opportunity.pk).update(partner=elsewhere)
    merge_undo(actor=manager, log=log)
    assert reload(opportunity).partner_id == elsewhere.pk


def test_undo_is_refused_while_a_later_merge_depends_on_it(personas):
    a, b, c = (make_lead(personas.salesperson, last_name=n) for n in "ABC")
    manager = actor(personas.manager)
    first = records_merge(actor=manager, entity="lead", survivor=a, others=[b], choices={})
    second = records_merge(actor=manager, entity="lead", survivor=c, others=[a], choices={})
    with pytest.raises(ValidationError) as exc:
        merge_undo(actor=manager, log=first)
    assert "later merge into “C”" in exc.value.messages[0]
    assert reload(b).merged_into_id == a.pk  # nothing written
    first.refresh_from_db()
    assert first.undone_at is None
    merge_undo(actor=manager, log=second)
    merge_undo(actor=manager, log=first)
    assert reload(b).merged_into_id is None and reload(a).merged_into_id is None


def test_an_unrelated_later_merge_does_not_block_undo(personas):
    a, b, c, d = (make_lead(personas.salesperson, last_name=n) for n in "ABCD")
    manager = actor(personas.manager)
    first = records_merge(actor=manager, entity="lead", survivor=a, others=[b], choices={})
    records_merge(actor=manager, entity="lead", survivor=c, others=[d], choices={})
    merge_undo(actor=manager, log=first)
    assert reload(b).merged_into_id is None


def test_undo_twice_is_refused(personas):
    a, b = make_lead(personas.salesperson), make_lead(personas.salesperson)
    manager = actor(personas.manager)
    log = records_merge(actor=manager, entity="lead", survivor=a, others=[b], choices={})
    merge_undo(actor=manager, log=log)
    lines = Activity.objects.count()
    with pytest.raises(ValidationError, match="already undone"):
        merge_undo(actor=manager, log=MergeLog.objects.get(pk=log.pk))
    assert Activity.objects.count() == lines


@pytest.mark.parametrize("persona", ["salesperson", "marketing", "reader", "outsider"])
def test_undo_needs_the_merge_rights(personas, persona):
    a, b = make_lead(personas.salesperson), make_lead(personas.salesperson)
    log = records_merge(
        actor=actor(personas.manager), entity="lead", survivor=a, others=[b], choices={}
    )
    with pytest.raises(PermissionDenied):
        merge_undo(actor=actor(getattr(personas, persona)), log=log)
    assert reload(b).merged_into_id == a.pk


def test_another_company_cannot_undo(personas):
    a, b = make_lead(personas.salesperson), make_lead(personas.salesperson)
    log = records_merge(
        actor=actor(personas.manager), entity="lead", survivor=a, others=[b], choices={}
    )
    with pytest.raises(PermissionDenied):
        merge_undo(actor=actor(personas.other), log=log)
    assert reload(b).merged_into_id == a.pk


def test_undo_skips_links_whose_other_end_was_deleted(personas):
    t = tag(personas, "Salon")
    a, b = make_lead(personas.salesperson, tags=[t]), make_lead(personas.salesperson, tags=[t])
    manager = actor(personas.manager)
    log = records_merge(actor=manager, entity="lead", survivor=a, others=[b], choices={})
    Tag.objects.filter(pk=t.pk).delete()
    merge_undo(actor=manager, log=log)
    assert not reload(b).tags.exists()
