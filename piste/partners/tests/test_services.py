"""The partner and contact services: types and rights, draft and validated prospects, closing,
concurrent edits, deletion rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from piste.core.access import actor_for
from piste.core.models import Activity, Tag
from piste.geo.models import Address
from piste.leads.tests.factories import address_data
from piste.partners import services
from piste.partners.models import Contact, Partner
from piste.partners.tests.factories import make_contact, make_partner


def actor(user):
    found = actor_for(user)
    assert found is not None
    return found


def timeline(obj) -> list[Activity]:
    return list(
        Activity.objects.filter(
            object_id=obj.pk, content_type__model=obj._meta.model_name
        ).order_by("id")
    )


def test_new_prospect_is_a_draft_owned_by_its_creator(personas):
    partner = make_partner(personas.salesperson, name="  Société   Générale ")
    assert partner.name == "Société Générale"
    assert partner.is_draft_prospect and not partner.is_validated_prospect
    assert partner.kind_label == "Draft prospect"
    assert partner.assigned_to == personas.salesperson
    assert partner.name_key == "societe generale"
    assert [a.verb for a in timeline(partner)] == ["created"]


def test_individual_is_found_by_both_name_orders(personas):
    partner = make_partner(
        personas.salesperson, partner_type="individual", first_name="Élodie", name="Durand"
    )
    assert (partner.full_name, partner.name_key, partner.alt_key) == (
        "Élodie Durand",
        "durand elodie",
        "elodie durand",
    )


def test_only_users_with_the_right_create_customers(personas):
    with pytest.raises(ValidationError) as refused:
        make_partner(personas.salesperson, is_customer=True)
    assert "is_customer" in refused.value.error_dict
    assert not Partner.objects.exists()
    customer = make_partner(personas.manager, is_customer=True)
    assert customer.is_customer and customer.kind_label == "Customer"


def test_salesperson_cannot_turn_a_prospect_into_a_customer(personas):
    partner = make_partner(personas.salesperson)
    with pytest.raises(ValidationError):
        services.partner_update(
            actor=actor(personas.salesperson),
            partner=partner,
            data={"is_customer": True},
            version=partner.version,
        )
    partner.refresh_from_db()
    assert not partner.is_customer and partner.version == 1


def test_validating_a_draft_prospect_records_who_and_when(personas):
    partner = make_partner(personas.salesperson)
    before = timezone.now()
    services.partner_validate_prospect(actor=actor(personas.manager), partner=partner)
    partner.refresh_from_db()
    assert partner.is_validated_prospect and partner.kind_label == "Validated prospect"
    assert partner.prospect_validated_by == personas.manager
    assert partner.prospect_validated_at is not None and partner.prospect_validated_at >= before
    last = timeline(partner)[-1]
    assert last.verb == "status_changed" and last.actor == personas.manager
    assert last.data["changes"] == [
        {"field": "is_prospect", "from": "Draft prospect", "to": "Validated prospect"}
    ]
    with pytest.raises(ValidationError):
        services.partner_validate_prospect(actor=actor(personas.manager), partner=partner)


def test_validating_needs_the_right(personas):
    partner = make_partner(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.partner_validate_prospect(actor=actor(personas.salesperson), partner=partner)
    partner.refresh_from_db()
    assert partner.is_draft_prospect


def test_stale_version_is_refused_and_writes_nothing(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    services.partner_update(
        actor=actor(personas.teammate), partner=partner, data={"name": "Beta"}, version=1
    )
    stale = Partner.objects.get(pk=partner.pk)
    stale.version = 1
    with pytest.raises(services.ConflictError):
        services.partner_update(
            actor=actor(personas.salesperson), partner=stale, data={"name": "Gamma"}, version=1
        )
    assert Partner.objects.get(pk=partner.pk).name == "Beta"


def test_changes_are_in_the_timeline_from_to(personas):
    partner = make_partner(personas.salesperson, name="Alpha", fixed_phone="01 23 45 67 89")
    services.partner_update(
        actor=actor(personas.salesperson),
        partner=partner,
        data={"name": "Beta", "fixed_phone": "0123456780"},
        version=partner.version,
    )
    changes = timeline(partner)[-1].data["changes"]
    assert {"field": "name", "from": "Alpha", "to": "Beta"} in changes
    assert {"field": "fixed_phone", "from": "01 23 45 67 89", "to": "01 23 45 67 80"} in changes
    assert partner.fixed_phone == "+33123456780"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"fixed_phone": "12"}, "fixed_phone"),
        ({"siren": "123456789"}, "siren"),
        ({"siret": "73282932000075"}, "siret"),
        ({"siren": "732829320", "siret": "55208131766522"}, "siret"),
        ({"scoring": 6}, "scoring"),
    ],
)
def test_bad_values_are_refused_next_to_their_field(personas, data, field):
    with pytest.raises(ValidationError) as refused:
        make_partner(personas.salesperson, **data)
    assert field in refused.value.error_dict
    assert not Partner.objects.exists()


def test_siret_fills_the_siren(personas):
    partner = make_partner(personas.salesperson, siret="732 829 320 00074")
    assert (partner.siret, partner.siren) == ("73282932000074", "732829320")


def test_choices_of_another_company_are_refused(personas):
    foreign = Tag.objects.create(company=personas.other_company, name="Ailleurs")
    with pytest.raises(ValidationError):
        make_partner(personas.salesperson, tags=[foreign])
    with pytest.raises(ValidationError):
        make_partner(personas.salesperson, assigned_to=personas.other)
    assert not Partner.objects.exists()


def test_closing_dates_the_partner_and_hides_its_contacts(personas):
    partner = make_partner(personas.manager, is_customer=True)
    contact = make_contact(personas.manager, partner)
    services.partner_update(
        actor=actor(personas.manager),
        partner=partner,
        data={"is_closed": True, "closed_reason": "Cessation"},
        version=partner.version,
    )
    assert partner.closed_on == timezone.localdate()
    contact.refresh_from_db()
    assert contact.partner_closed
    services.partner_update(
        actor=actor(personas.manager),
        partner=partner,
        data={"is_closed": False},
        version=partner.version,
    )
    contact.refresh_from_db()
    assert not contact.partner_closed and partner.closed_on is None and partner.closed_reason == ""


def test_contact_follows_its_partners_owner_and_team(personas):
    partner = make_partner(personas.salesperson, team=personas.north)
    contact = make_contact(personas.manager, partner, first_name="Jean", last_name="Dupont")
    assert contact.assigned_to == personas.salesperson and contact.team == personas.north
    assert (contact.full_name, contact.name_key, contact.alt_key) == (
        "Jean Dupont",
        "dupont jean",
        "jean dupont",
    )
    assert timeline(partner)[-1].data["changes"][0]["added"] == ["Jean Dupont"]


def test_deleting_a_partner_takes_its_contacts_and_addresses(personas):
    partner = make_partner(personas.manager)
    services.partner_update(
        actor=actor(personas.manager),
        partner=partner,
        data={},
        version=partner.version,
        addresses={"main_address": address_data(line1="1 rue de la Paix", city_name="Paris")},
    )
    address_id = Partner.objects.get(pk=partner.pk).main_address_id
    make_contact(personas.manager, partner)
    pk = partner.pk
    services.partner_delete(actor=actor(personas.manager), partner=partner, visible_contacts=1)
    assert not Partner.objects.exists() and not Contact.objects.exists()
    assert address_id is not None and not Address.objects.filter(pk=address_id).exists()
    assert Activity.objects.filter(object_id=pk, verb="deleted").exists()


def test_a_parent_company_cannot_be_deleted_under_its_subsidiaries(personas):
    parent = make_partner(personas.manager, name="Groupe")
    make_partner(personas.manager, name="Filiale", parent=parent)
    with pytest.raises(ValidationError) as refused:
        services.partner_delete(actor=actor(personas.manager), partner=parent, visible_contacts=0)
    assert "parent company" in refused.value.messages[0]
    assert Partner.objects.count() == 2


def test_contacts_hidden_from_the_user_block_the_deletion(personas):
    partner = make_partner(personas.manager)
    make_contact(personas.manager, partner)
    with pytest.raises(ValidationError):
        services.partner_delete(actor=actor(personas.manager), partner=partner, visible_contacts=0)
    assert Contact.objects.count() == 1


def test_deleting_needs_the_right(personas):
    partner = make_partner(personas.salesperson)
    with pytest.raises(PermissionDenied):
        services.partner_delete(
            actor=actor(personas.salesperson), partner=partner, visible_contacts=0
        )
    contact = make_contact(personas.salesperson, partner)
    with pytest.raises(PermissionDenied):
        services.contact_delete(actor=actor(personas.salesperson), contact=contact)
    assert Contact.objects.count() == 1


def test_deleting_a_contact_leaves_a_line_on_its_partner(personas):
    partner = make_partner(personas.manager)
    contact = make_contact(personas.manager, partner, first_name="Jean", last_name="Dupont")
    services.contact_delete(actor=actor(personas.manager), contact=contact)
    assert not Contact.objects.exists()
    assert timeline(partner)[-1].data["changes"][0]["removed"] == ["Jean Dupont"]
