"""Merging leads, partners and contacts (``services_merge.records_merge``): the values kept, the
related rows moved (every kind, nothing lost), the records archived, the timelines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from piste.core.models import Activity, Tag
from piste.duplicates.models import MergeLog
from piste.duplicates.services_merge import records_merge
from piste.duplicates.tests.merge_support import actor, last_activity_id, pointers, table_counts
from piste.geo.models import Address
from piste.leads.models import Lead
from piste.leads.selectors import leads_for_user
from piste.leads.tests.factories import address_data, make_lead
from piste.opportunities.models import Opportunity
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.orders import services as order_services
from piste.partners.models import Contact, Partner
from piste.partners.selectors import contacts_for_user, partners_for_user
from piste.partners.tests.factories import make_contact, make_partner

pytestmark = pytest.mark.django_db


def tag(personas, name: str) -> Tag:
    return Tag.objects.create(company=personas.company, name=name)


def reload(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


def timeline(obj) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).order_by("id")
    )


# Values ---------------------------------------------------------------------------------------


def test_two_leads_merge_keeps_chosen_values_and_archives_the_other(personas):
    a = make_lead(personas.salesperson, last_name="Durand", email="a@durand.fr")
    b = make_lead(
        personas.salesperson,
        last_name="Durand",
        first_name="Paul",
        email="Paul@Durand-Conseil.FR",
        fixed_phone="01 23 45 67 89",
    )
    log = records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=a,
        others=[b],
        choices={"email": b.pk},
    )
    a, b = reload(a), reload(b)
    assert a.email == reload(b).email == "Paul@durand-conseil.fr"
    # Derived columns are recomputed from the values kept.
    assert a.email_key == "paul@durand-conseil.fr"
    assert a.email_domain == "durand-conseil.fr"
    # Unchosen fields keep the survivor's value unless it is empty: then the other's.
    assert a.first_name == "Paul"
    assert a.fixed_phone == "+33123456789"
    assert a.main_phone == "+33123456789"
    assert a.full_name == "Paul Durand"
    # The other is archived, never deleted, and leaves the lists.
    assert b.merged_into_id == a.pk and b.merged_at is not None
    assert b.version == 2 and a.version == 2
    assert list(leads_for_user(personas.manager).filter(pk__in=[a.pk, b.pk])) == [a]
    assert log.survivor_id == a.pk and log.merged_ids == [b.pk]
    assert log.before["email"] == "a@durand.fr"
    assert "last_name" not in log.before  # only the fields the merge changed


def test_description_stays_the_survivors_unless_chosen(personas):
    a = make_lead(personas.salesperson, description="")
    b = make_lead(personas.salesperson, description="<p>Rappeler en mai</p>")
    records_merge(actor=actor(personas.manager), entity="lead", survivor=a, others=[b], choices={})
    assert reload(a).description == ""
    c = make_lead(personas.salesperson)
    records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=c,
        others=[reload(a)],
        choices={},
    )
    d = make_lead(personas.salesperson)
    e = make_lead(personas.salesperson, description="<p>Salon</p>")
    records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=d,
        others=[e],
        choices={"description": e.pk},
    )
    assert reload(d).description == "<p>Salon</p>"


def test_three_partners_merge_field_by_field(personas):
    a = make_partner(personas.salesperson, name="Morel SA", siren="732829320")
    b = make_partner(personas.salesperson, name="Boulangeries Morel", email="contact@morel.fr")
    c = make_partner(personas.salesperson, name="MOREL", website="https://morel.fr", scoring=4)
    records_merge(
        actor=actor(personas.manager),
        entity="partner",
        survivor=a,
        others=[b, c],
        choices={"name": b.pk, "website": c.pk, "email": b.pk},
    )
    a = reload(a)
    assert (a.name, a.email, a.website, a.siren, a.scoring) == (
        "Boulangeries Morel",
        "contact@morel.fr",
        "https://morel.fr",
        "732829320",
        4,
    )
    # The accounts search finds it by its new name.
    assert a.name_key == "boulangeries morel" and a.alt_key == "morel"
    assert reload(b).merged_into_id == a.pk and reload(c).merged_into_id == a.pk
    assert not partners_for_user(personas.manager).filter(pk__in=[b.pk, c.pk]).exists()


def test_followers_come_with_their_field(personas):
    """A status comes with what it implies: a closed account with its closing date."""
    a = make_partner(personas.salesperson, name="A")
    b = make_partner(
        personas.salesperson,
        name="B",
        is_closed=True,
        closed_on=date(2025, 3, 1),
        closed_reason="Cessation",
    )
    # Closing an open account is the user's choice: not the default.
    records_merge(
        actor=actor(personas.manager), entity="partner", survivor=a, others=[b], choices={}
    )
    assert reload(a).is_closed is False
    c = make_partner(personas.salesperson, name="C")
    d = make_partner(personas.salesperson, name="D", is_closed=True, closed_reason="Rachat")
    records_merge(
        actor=actor(personas.manager),
        entity="partner",
        survivor=c,
        others=[d],
        choices={"is_closed": d.pk},
    )
    c = reload(c)
    assert c.is_closed and c.closed_reason == "Rachat" and c.closed_on is not None


def test_tags_are_united(personas):
    t1, t2, t3, t4 = (tag(personas, n) for n in ("Salon", "VIP", "Export", "Web"))
    a = make_lead(personas.salesperson, tags=[t1, t2])
    b = make_lead(personas.salesperson, tags=[t2, t3])
    c = make_lead(personas.salesperson, tags=[t4])
    log = records_merge(
        actor=actor(personas.manager), entity="lead", survivor=a, others=[b, c], choices={}
    )
    assert set(reload(a).tags.values_list("name", flat=True)) == {"Salon", "VIP", "Export", "Web"}
    # The survivor had VIP already: the other's link is dropped, kept in the log for undo.
    assert [r["values"]["tag_id"] for r in log.removed] == [t2.pk]
    assert log.before["tags"] == sorted([t1.pk, t2.pk])
    line = timeline(a)[-1]
    assert {"field": "tags", "added": ["Export", "Web"], "removed": []} in line.data["changes"]


def test_a_contact_other_companies_are_united(personas):
    p1, p2, p3 = (make_partner(personas.salesperson, name=n) for n in ("P1", "P2", "P3"))
    a = make_contact(personas.salesperson, p1, last_name="Roux")
    b = make_contact(personas.salesperson, p1, last_name="Roux")
    actor_ = actor(personas.salesperson)
    from piste.partners import services as partner_services

    partner_services.contact_attach(actor=actor_, contact=a, partner=p2)
    partner_services.contact_attach(actor=actor_, contact=b, partner=p2)
    partner_services.contact_attach(actor=actor_, contact=b, partner=p3)
    records_merge(
        actor=actor(personas.manager), entity="contact", survivor=a, others=[b], choices={}
    )
    assert set(reload(a).other_partners.values_list("pk", flat=True)) == {p2.pk, p3.pk}


# Related rows ---------------------------------------------------------------------------------


def test_lead_timeline_and_opportunities_move_to_the_survivor(personas):
    a = make_lead(personas.salesperson, last_name="A")
    b = make_lead(personas.salesperson, last_name="B")
    partner = make_partner(personas.salesperson)
    opportunity = make_opportunity(personas.salesperson, partner, lead=b)
    Opportunity.objects.filter(pk=opportunity.pk).update(lead=b)
    b_lines = [x.pk for x in timeline(b)]
    log = records_merge(
        actor=actor(personas.manager), entity="lead", survivor=a, others=[b], choices={}
    )
    assert reload(opportunity).lead_id == a.pk
    assert reload(opportunity).version == opportunity.version + 1
    a_lines = [x.pk for x in timeline(a)]
    assert set(b_lines) <= set(a_lines)
    # The survivor's timeline says what was merged; the archived record's where it went.
    last = timeline(a)[-1]
    assert last.verb == Activity.Verb.MERGED
    assert last.data["merged"] == [{"id": b.pk, "label": "B"}]
    assert last.data["moved"] == log.moved_count == len(b_lines) + 1
    assert "Merged with B" in last.data["message"]
    assert [(x.verb, x.data["message"]) for x in timeline(b)] == [
        (Activity.Verb.MERGED_INTO, "Merged into A.")
    ]


def test_partner_related_rows_all_move(personas):
    user = personas.salesperson
    a = make_partner(user, name="A")
    b = make_partner(user, name="B")
    holding = make_partner(user, name="Holding")
    subsidiary = make_partner(user, name="Filiale", parent=b)
    own = make_contact(user, b, last_name="Own")
    shared = make_contact(user, holding, last_name="Shared")
    both = make_contact(user, holding, last_name="Both")
    from piste.partners import services as partner_services

    partner_services.contact_attach(actor=actor(user), contact=shared, partner=b)
    # Attached to both: the survivor keeps one link, the other is dropped (and logged).
    partner_services.contact_attach(actor=actor(user), contact=both, partner=a)
    partner_services.contact_attach(actor=actor(user), contact=both, partner=b)
    # Attached to the merged partner while its main company is the survivor: the link would
    # tie it to its own company, it is dropped.
    mine = make_contact(user, a, last_name="Mine")
    partner_services.contact_attach(actor=actor(user), contact=mine, partner=b)
    lead = make_lead(user)
    Lead.objects.filter(pk=lead.pk).update(partner=b, contact=own)
    opportunity = make_opportunity(user, b, contacts=[own])
    order = order_services.order_create(
        actor=actor(user),
        partner=b,
        data={"order_date": date(2026, 1, 5), "total": Decimal("100"), "description": ""},
    )
    log = records_merge(
        actor=actor(personas.manager), entity="partner", survivor=a, others=[b], choices={}
    )
    assert reload(subsidiary).parent_id == a.pk
    assert reload(own).main_partner_id == a.pk
    assert set(reload(shared).other_partners.values_list("pk", flat=True)) == {a.pk}
    assert set(reload(both).other_partners.values_list("pk", flat=True)) == {a.pk}
    assert not reload(mine).other_partners.exists()
    assert reload(lead).partner_id == a.pk
    assert reload(opportunity).partner_id == a.pk
    assert reload(order).partner_id == a.pk
    assert len(log.removed) == 2
    # The merged partner keeps its contacts' links nowhere: nothing points at it any more.
    assert all(not ids for ids in pointers(Partner, [b.pk], upto_activity=0).values())


def test_a_merged_parent_is_cleared_not_made_self_parent(personas):
    parent = make_partner(personas.salesperson, name="Groupe")
    child = make_partner(personas.salesperson, name="Groupe Sud", parent=parent)
    records_merge(
        actor=actor(personas.manager),
        entity="partner",
        survivor=child,
        others=[parent],
        choices={},
    )
    assert reload(child).parent_id is None
    other = make_partner(personas.salesperson, name="Autre")
    child2 = make_partner(personas.salesperson, name="Autre Sud", parent=other)
    records_merge(
        actor=actor(personas.manager),
        entity="partner",
        survivor=other,
        others=[child2],
        choices={"parent": child2.pk},
    )
    assert reload(other).parent_id is None


def test_moved_contacts_follow_the_survivors_closed_flag(personas):
    a = make_partner(personas.salesperson, name="Open")
    b = make_partner(personas.salesperson, name="Closed", is_closed=True)
    contact = make_contact(personas.salesperson, b)
    assert reload(contact).partner_closed is True
    records_merge(
        actor=actor(personas.manager), entity="partner", survivor=a, others=[b], choices={}
    )
    assert reload(contact).partner_closed is False
    assert contacts_for_user(personas.salesperson).filter(pk=contact.pk).exists()


def test_contact_related_rows_move(personas):
    user = personas.salesperson
    partner = make_partner(user)
    a = make_contact(user, partner, last_name="Roux")
    b = make_contact(user, partner, last_name="Roux", email="roux@ex.fr")
    lead = make_lead(user)
    Lead.objects.filter(pk=lead.pk).update(partner=partner, contact=b)
    # One opportunity names both contacts (the survivor keeps one link), another only b.
    both = make_opportunity(user, partner, contacts=[a, b])
    only_b = make_opportunity(user, partner, contacts=[b])
    log = records_merge(
        actor=actor(personas.manager), entity="contact", survivor=a, others=[b], choices={}
    )
    assert reload(lead).contact_id == a.pk
    assert list(both.contacts.values_list("pk", flat=True)) == [a.pk]
    assert list(only_b.contacts.values_list("pk", flat=True)) == [a.pk]
    assert reload(a).email == "roux@ex.fr"
    assert [r["model"] for r in log.removed] == ["opportunities.opportunity_contacts"]
    assert reload(b).merged_into_id == a.pk


def test_an_address_taken_from_another_record_leaves_it(personas):
    a = make_lead(personas.salesperson, address=address_data(line1="1 rue A", city_name="Lyon"))
    b = make_lead(personas.salesperson, address=address_data(line1="2 rue B", city_name="Nancy"))
    a_address, b_address = a.address_id, b.address_id
    assert a_address is not None and b_address is not None
    log = records_merge(
        actor=actor(personas.manager),
        entity="lead",
        survivor=a,
        others=[b],
        choices={"address": b.pk},
    )
    a, b = reload(a), reload(b)
    assert a.address_id == b_address and a.city_name == "Nancy"
    assert b.address_id is None
    # The survivor's former address is kept for undo, never deleted.
    assert Address.objects.filter(pk=a_address).exists()
    assert log.before["address"] == a_address
    assert log.before["_others"] == {str(b.pk): {"address": b_address}}


@pytest.mark.parametrize("entity", ["lead", "partner", "contact"])
def test_no_related_row_is_lost(personas, entity):
    """Every table referencing the records counts the same rows after the merge (but the
    duplicate links the log keeps), and every row points at the survivor."""
    user = personas.salesperson
    t1, t2 = tag(personas, "Salon"), tag(personas, "VIP")
    holder = make_partner(user, name="Holder")
    records: list[Any]
    if entity == "lead":
        records = [make_lead(user, tags=[t1, t2]), make_lead(user, tags=[t2]), make_lead(user)]
        model: type = Lead
        make_opportunity(user, holder, lead=records[1])
        Opportunity.objects.filter(partner=holder).update(lead=records[1])
    elif entity == "partner":
        records = [make_partner(user, name=n, tags=[t2]) for n in ("A", "B", "C")]
        model = Partner
        for r in records:
            make_contact(user, r)
            make_opportunity(user, r)
        make_partner(user, name="Sub", parent=records[2])
    else:
        records = [make_contact(user, holder) for _ in range(3)]
        model = Contact
        make_opportunity(user, holder, contacts=records)
    ids = [r.pk for r in records]
    counts = table_counts(model)
    upto = last_activity_id()
    before = pointers(model, ids, upto_activity=upto)
    log = records_merge(
        actor=actor(personas.manager),
        entity=entity,
        survivor=records[0],
        others=records[1:],
        choices={},
    )
    after = pointers(model, ids, upto_activity=upto)
    removed: dict[str, set[int]] = {}
    for row in log.removed:
        removed.setdefault(row["model"], set()).add(row["values"]["id"])
    after_counts = table_counts(model)
    assert {k: v + len(removed.get(k, ())) for k, v in after_counts.items()} == counts
    for key, rows in after.items():
        # Every row still points at the survivor, or was a duplicate link the log keeps.
        assert set(rows.values()) <= {records[0].pk}, key
        assert set(rows) | removed.get(key[0], set()) == set(before[key]), key
    assert MergeLog.objects.count() == 1


def test_ten_thousand_related_rows_merge_in_one_go(personas, django_assert_max_num_queries):
    a = make_partner(personas.salesperson, name="A")
    b = make_partner(personas.salesperson, name="B")
    partner_type = ContentType.objects.get_for_model(Partner)
    Activity.objects.bulk_create(
        [
            Activity(
                company=personas.company,
                content_type=partner_type,
                object_id=b.pk,
                verb=Activity.Verb.NOTE,
                data={"message": f"Appel {n}"},
            )
            for n in range(10_000)
        ],
        batch_size=1000,
    )
    manager = actor(personas.manager)
    # Set-based: the query count does not grow with the rows (10 UPDATEs of 1,000 ids).
    with django_assert_max_num_queries(60):
        log = records_merge(actor=manager, entity="partner", survivor=a, others=[b], choices={})
    assert log.moved_count == 10_001
    assert Activity.objects.filter(content_type=partner_type, object_id=b.pk).count() == 1
    assert Activity.objects.filter(content_type=partner_type, object_id=a.pk).count() == 10_003


def test_events_emails_and_documents_move_to_the_survivor_and_back_on_undo(personas):
    """Issue 8's records follow a merge: events by their foreign key, emails and documents by
    their generic link (``merge_moves.GENERIC_RELATED``); undo puts each back."""
    from django.core.files.base import ContentFile

    from piste.activities.tests.factories import make_event
    from piste.documents.models import Document
    from piste.duplicates.services_merge import merge_undo
    from piste.emails.models import Email

    a = make_lead(personas.salesperson, last_name="A")
    b = make_lead(personas.salesperson, last_name="B")
    event = make_event(personas.salesperson, b)
    lead_type = ContentType.objects.get_for_model(Lead)
    email = Email.objects.create(
        company=personas.company, content_type=lead_type, object_id=b.pk, subject="Devis",
        to=["b@lead.test"], cc=[], from_address="piste@example.test",
    )  # fmt: skip
    document = Document(
        company=personas.company, content_type=lead_type, object_id=b.pk, name="devis.pdf",
        size=4, uploaded_by=personas.salesperson,
    )  # fmt: skip
    document.file.save("devis.pdf", ContentFile(b"%PDF"), save=True)

    log = records_merge(
        actor=actor(personas.manager), entity="lead", survivor=a, others=[b], choices={}
    )
    assert reload(event).lead_id == a.pk
    assert reload(email).object_id == a.pk
    assert reload(document).object_id == a.pk

    merge_undo(actor=actor(personas.manager), log=log)
    assert reload(event).lead_id == b.pk
    assert reload(email).object_id == b.pk
    assert reload(document).object_id == b.pk
