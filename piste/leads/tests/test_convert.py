"""Convert a lead: the wizard's every branch (new or existing partner; no, new or existing
contacts; prospect statuses on or off), what is carried over, matches offered first, a retried
submit, a lost lead, rights, and bad input refused with a message and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from piste.core.access import require_actor
from piste.core.models import Activity, Tag
from piste.core.people import Civility, CompanySize
from piste.core.testing import en_client
from piste.geo.models import Address
from piste.leads import services
from piste.leads import services_convert as convert
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.tests.factories import address_data, make_lead
from piste.partners.models import (
    Contact,
    Department,
    IndustrySector,
    JobTitle,
    Partner,
    PartnerCategory,
    PartnerStatus,
    PartnerType,
)
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import CrmSettings


def url(name: str, lead: Lead) -> str:
    return reverse(f"leads:{name}", args=[lead.pk])


@pytest.fixture
def values(personas) -> dict[str, Any]:
    a = personas.company
    return {
        "job_title": JobTitle.objects.create(company=a, name="Responsable achats"),
        "industry_sector": IndustrySector.objects.create(company=a, name="Aéronautique"),
        "department": Department.objects.create(company=a, name="Achats"),
        "source": LeadSource.objects.create(company=a, name="Salon"),
        "category": PartnerCategory.objects.create(company=a, name="PME"),
        "tag": Tag.objects.create(company=a, name="Chaud", color="#dc3545"),
    }


@pytest.fixture
def lead(personas, values) -> Lead:
    return make_lead(
        personas.salesperson,
        civility=Civility.MS,
        first_name="Anne",
        last_name="Martin",
        enterprise_name="Aéro & Fils",
        job_title=values["job_title"],
        industry_sector=values["industry_sector"],
        department=values["department"],
        fixed_phone="01 23 45 67 89",
        mobile_phone="06 12 34 56 78",
        email="anne@aero.example",
        website="www.aero.example",
        description="<p><strong>Besoin</strong> d'une démo</p>",
        do_not_call=True,
        do_not_email=True,
        team=personas.north,
        scoring=4,
        size=CompanySize.S12,
        is_key_account=True,
        is_nurturing=True,
        source=values["source"],
        category=values["category"],
        tags=[values["tag"]],
        address=address_data(line1="12 rue des Ailes", postal_code="31000", city_name="Toulouse"),
    )


def post(client, lead: Lead, **data: Any):
    form = {"partner_choice": "new", "types": ["is_prospect"], "contact_choice": "new"}
    form.update(data)
    return client.post(url("convert", lead), {k: v for k, v in form.items() if v is not None})


def timeline(obj) -> list[Activity]:
    return list(
        Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).order_by("id")
    )


def counts() -> tuple[int, int, int]:
    return Partner.objects.count(), Contact.objects.count(), Address.objects.count()


# New partner -----------------------------------------------------------------------------------


def test_new_partner_and_contact_carry_everything_over(personas, lead, values):
    response = post(en_client(personas.salesperson), lead)
    assert response.status_code == 302
    assert response["Location"] == url("converted", lead)
    lead.refresh_from_db()
    assert lead.status.role == LeadStatus.Role.CONVERTED and lead.converted_at is not None
    partner = lead.partner
    assert partner is not None and lead.contact is not None
    assert partner.partner_type == PartnerType.ORGANISATION and partner.name == "Aéro & Fils"
    assert (partner.is_prospect, partner.is_customer) == (True, False)
    for name in (
        "industry_sector",
        "category",
        "size",
        "fixed_phone",
        "mobile_phone",
        "email",
        "website",
        "do_not_call",
        "do_not_email",
        "description",
        "assigned_to",
        "team",
        "scoring",
        "is_key_account",
        "is_nurturing",
        "source",
    ):
        assert getattr(partner, name) == getattr(lead, name), name
    assert list(partner.tags.all()) == [values["tag"]]
    assert partner.main_address is not None and partner.main_address.pk != lead.address_id
    assert (partner.main_address.line1, partner.city_name) == ("12 rue des Ailes", "Toulouse")
    contact = lead.contact
    assert contact.main_partner_id == partner.pk
    assert (contact.civility, contact.first_name, contact.last_name) == ("ms", "Anne", "Martin")
    assert (contact.job_title, contact.department) == (values["job_title"], values["department"])
    assert (contact.email, contact.mobile_phone) == (lead.email, lead.mobile_phone)
    assert contact.do_not_call and contact.do_not_email
    assert contact.address is not None and contact.address.line1 == "12 rue des Ailes"
    assert list(contact.tags.all()) == [values["tag"]]
    # The lead keeps its own address: nothing is moved away from it.
    kept = Lead.objects.get(pk=lead.pk).address
    assert kept is not None and kept.line1 == "12 rue des Ailes"
    assert timeline(lead)[-1].verb == Activity.Verb.CONVERTED
    for record in (partner, contact):
        assert timeline(record)[-1].verb == Activity.Verb.CONVERTED
        assert "Anne Martin" in timeline(record)[-1].data["message"]


def test_the_partner_and_contact_pages_show_the_leads_history(personas, lead):
    post(en_client(personas.salesperson), lead)
    lead.refresh_from_db()
    client = en_client(personas.salesperson)
    contact_page = client.get(reverse("partners:contact", args=[lead.contact_id])).content.decode()
    assert 'data-testid="activity-origin"' in contact_page
    tab = client.get(
        reverse("partners:detail", args=[lead.partner_id]) + "?before=",
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'data-testid="activity-origin"' in tab
    assert "Anne Martin" in tab


def test_no_contact_makes_a_persons_partner_and_keeps_the_company_name(personas, lead, values):
    post(en_client(personas.salesperson), lead, contact_choice="none")
    lead.refresh_from_db()
    partner = lead.partner
    assert partner.partner_type == PartnerType.INDIVIDUAL
    assert (partner.civility, partner.first_name, partner.name) == ("ms", "Anne", "Martin")
    assert lead.contact is None and not Contact.objects.filter(main_partner=partner).exists()
    # What the person's partner has no field for is kept in its description.
    assert "Aéro &amp; Fils" in partner.description
    assert "Responsable achats" in partner.description and "Achats" in partner.description


def test_a_lead_without_company_name_gets_no_contact(personas):
    lead = make_lead(personas.salesperson, first_name="Paul", last_name="Durand")
    post(en_client(personas.salesperson), lead, contact_choice="new")
    lead.refresh_from_db()
    assert lead.partner is not None and lead.partner.partner_type == PartnerType.INDIVIDUAL
    assert lead.partner.full_name == "Paul Durand"
    assert not Contact.objects.filter(main_partner=lead.partner).exists()


def test_the_chosen_types_are_set(personas, lead):
    post(en_client(personas.manager), lead, types=["is_customer", "is_supplier"])
    lead.refresh_from_db()
    p = lead.partner
    assert (p.is_prospect, p.is_customer, p.is_supplier) == (False, True, True)


def test_a_salesperson_cannot_create_a_customer_and_nothing_is_written(personas, lead):
    before = counts()
    response = post(en_client(personas.salesperson), lead, types=["is_customer"])
    assert response.status_code == 200
    assert "You may not create customers." in response.content.decode()
    assert counts() == before
    assert Lead.objects.get(pk=lead.pk).status.role == LeadStatus.Role.DEFAULT


# Existing partner and contacts ------------------------------------------------------------------


def test_existing_partner_and_existing_contacts(personas, lead, values):
    supplier = make_partner(personas.salesperson, name="Aéro Holding", is_supplier=True)
    own = make_contact(personas.salesperson, supplier, last_name="Martin", first_name="Anne")
    elsewhere = make_partner(personas.salesperson, name="Autre")
    other = make_contact(personas.salesperson, elsewhere, last_name="Roux")
    before = counts()
    response = post(
        en_client(personas.salesperson),
        lead,
        partner_choice="existing",
        partner=supplier.pk,
        contact_choice="existing",
        contacts=[own.pk, other.pk],
    )
    assert response.status_code == 302
    assert counts() == before  # nothing new created
    lead.refresh_from_db()
    supplier.refresh_from_db()
    assert lead.partner_id == supplier.pk and lead.contact_id in (own.pk, other.pk)
    # A supplier that was neither prospect nor customer becomes a prospect too; tags are united.
    assert supplier.is_prospect and supplier.is_supplier
    assert values["tag"] in supplier.tags.all()
    # A contact of another company is attached, not taken away from its own.
    other.refresh_from_db()
    assert other.main_partner_id == elsewhere.pk
    assert supplier in other.other_partners.all()


def test_existing_partner_with_a_new_contact(personas, lead):
    target = make_partner(personas.salesperson, name="Aéro Groupe")
    post(en_client(personas.salesperson), lead, partner_choice="existing", partner=target.pk)
    lead.refresh_from_db()
    assert lead.partner_id == target.pk
    assert lead.contact.main_partner_id == target.pk and lead.contact.last_name == "Martin"


# Idempotence, lost lead ------------------------------------------------------------------------


def test_a_retried_submit_never_creates_two_partners(personas, lead):
    client = en_client(personas.salesperson)
    first = post(client, lead)
    second = post(client, lead)
    assert first.status_code == second.status_code == 302
    assert Partner.objects.filter(converted_leads=lead).count() == 1
    assert Partner.objects.filter(name="Aéro & Fils").count() == 1
    assert Contact.objects.filter(last_name="Martin").count() == 1
    actor = require_actor(personas.salesperson)
    again = convert.lead_convert(actor=actor, lead=lead, partner_choice="new")
    assert again.already and again.partner.pk == Lead.objects.get(pk=lead.pk).partner_id
    assert Partner.objects.filter(name="Aéro & Fils").count() == 1


def test_a_lost_lead_is_not_converted(personas, lead):
    reason = LostReason.objects.create(company=personas.company, name="Trop cher")
    services.lead_lose(actor=require_actor(personas.salesperson), lead=lead, reason=reason)
    client = en_client(personas.salesperson)
    page = client.get(url("convert", lead)).content.decode()
    assert "A lost lead cannot be converted: reopen it first." in page
    assert 'data-testid="convert-form"' not in page
    before = counts()
    response = post(client, lead)
    assert response.status_code == 200
    assert counts() == before
    assert 'data-testid="convert"' not in client.get(url("detail", lead)).content.decode()


# Prospect statuses -----------------------------------------------------------------------------


def _statuses_on(company) -> None:
    CrmSettings.objects.filter(company=company).update(manage_prospect_statuses=True)


def test_with_prospect_statuses_the_status_is_required_and_set(personas, lead):
    _statuses_on(personas.company)
    client = en_client(personas.salesperson)
    page = client.get(url("convert", lead))
    assert "status" in page.context["form"].fields
    before = counts()
    response = post(client, lead, status="")
    assert "Choose the prospect status." in response.content.decode()
    assert counts() == before
    qualified = PartnerStatus.objects.get(company=personas.company, sequence=30)
    assert post(client, lead, status=qualified.pk).status_code == 302
    lead.refresh_from_db()
    assert lead.partner.status_id == qualified.pk
    theirs = PartnerStatus.objects.filter(company=personas.other_company).first()
    assert theirs is not None
    other = make_lead(personas.salesperson, last_name="Bis")
    response = post(client, other, status=theirs.pk)
    assert response.status_code == 200
    assert response.context["form"].errors["status"]


def test_without_prospect_statuses_no_status_is_asked(personas, lead):
    page = en_client(personas.salesperson).get(url("convert", lead))
    assert "status" not in page.context["form"].fields
    post(en_client(personas.salesperson), lead)
    lead.refresh_from_db()
    assert lead.partner.status_id is None


# Matches ---------------------------------------------------------------------------------------


def test_matches_are_offered_before_creating(personas, lead):
    same_email = make_partner(personas.salesperson, name="Anne SARL", email="anne@aero.example")
    same_name = make_partner(
        personas.salesperson, name="Aéro & Fils", partner_type=PartnerType.ORGANISATION
    )
    Partner.objects.filter(pk=same_name.pk).update(city_name="Toulouse")
    elsewhere = make_partner(personas.salesperson, name="Aéro & Fils")
    Partner.objects.filter(pk=elsewhere.pk).update(city_name="Brest")
    person = make_contact(personas.salesperson, same_name, first_name="Anne", last_name="Martin")
    page = en_client(personas.salesperson).get(url("convert", lead))
    matches = page.context["matches"]
    found = {m.record.pk: m.reasons for m in matches.partners}
    assert set(found) == {same_email.pk, same_name.pk}
    assert found[same_email.pk] == ["same email"]
    assert found[same_name.pk] == ["same name and city"]
    assert [m.record.pk for m in matches.contacts] == [person.pk]
    html = page.content.decode()
    assert f'href="?partner={same_name.pk}&amp;contact={person.pk}"' in html
    chosen = en_client(personas.salesperson).get(
        url("convert", lead), {"partner": same_name.pk, "contact": person.pk}
    )
    form = chosen.context["form"]
    assert form["partner_choice"].value() == "existing" and form["partner"].value() == same_name.pk
    assert form["contact_choice"].value() == "existing"


def test_matches_follow_the_access_layer(personas, lead):
    hidden = make_partner(personas.outsider, name="Caché", email="anne@aero.example")
    page = en_client(personas.salesperson).get(url("convert", lead))
    assert hidden.pk not in [m.record.pk for m in page.context["matches"].partners]
    response = post(
        en_client(personas.salesperson), lead, partner_choice="existing", partner=hidden.pk
    )
    assert response.status_code == 200
    assert response.context["form"].errors["partner"]
    assert Lead.objects.get(pk=lead.pk).partner_id is None


# Rights and bad input --------------------------------------------------------------------------


def test_reader_and_other_company(personas, lead):
    assert en_client(personas.reader).get(url("convert", lead)).status_code == 403
    assert post(en_client(personas.reader), lead).status_code == 403
    assert en_client(personas.other).get(url("convert", lead)).status_code == 404
    assert Lead.objects.get(pk=lead.pk).partner_id is None


@pytest.mark.parametrize(
    "data",
    [
        {"partner_choice": "bogus"},
        {"partner_choice": "existing", "partner": ""},
        {"partner_choice": "existing", "partner": "abc"},
        {"partner_choice": "existing", "partner": "²"},
        {"partner_choice": "existing", "partner": "9" * 40},
        {"partner_choice": "existing", "partner": "-1"},
        {"contact_choice": "bogus"},
        {"contact_choice": "existing", "contacts": []},
        {"contact_choice": "existing", "contacts": ["abc"]},
        {"contact_choice": "existing", "contacts": ["9" * 40]},
        {"types": []},
        {"types": ["is_internal_hacker"]},
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(personas, lead, data):
    before = counts()
    response = post(en_client(personas.salesperson), lead, **data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert counts() == before
    assert Lead.objects.get(pk=lead.pk).status.role == LeadStatus.Role.DEFAULT


def test_a_contact_of_another_company_is_refused(personas, lead):
    theirs = make_contact(personas.other, make_partner(personas.other, name="Ailleurs"))
    response = post(
        en_client(personas.salesperson), lead, contact_choice="existing", contacts=[theirs.pk]
    )
    assert response.status_code == 200 and response.context["form"].errors["contacts"]
    assert Lead.objects.get(pk=lead.pk).partner_id is None


def test_wizard_query_count_is_pinned(personas, lead, django_assert_num_queries):
    client = en_client(personas.salesperson)
    client.get(url("convert", lead))  # sessions, content types warmed
    with django_assert_num_queries(8):
        assert client.get(url("convert", lead)).status_code == 200


def test_converted_page_offers_an_opportunity(personas, lead):
    client = en_client(personas.salesperson)
    post(client, lead)
    page = client.get(url("converted", lead)).content.decode()
    assert 'data-testid="converted-partner"' in page
    assert f"?lead={lead.pk}" in page
    assert 'data-testid="no-opportunity"' in page
    fresh = make_lead(personas.salesperson, last_name="Neuf")
    assert client.get(url("converted", fresh))["Location"] == url("detail", fresh)


def test_a_failure_after_the_partner_is_made_rolls_everything_back(personas, lead):
    """One transaction: with no converted status configured, the refusal comes after the partner
    and the contact were made, and neither stays."""
    LeadStatus.objects.filter(company=personas.company, role=LeadStatus.Role.CONVERTED).update(
        role=""
    )
    before = counts()
    activities = Activity.objects.count()
    response = post(en_client(personas.salesperson), lead)
    assert response.status_code == 200
    assert "Choose the converted status of leads in the configuration" in (
        response.content.decode()
    )
    assert counts() == before
    assert Activity.objects.count() == activities
    assert Lead.objects.get(pk=lead.pk).partner_id is None


def test_the_siren_is_carried_over_and_matched(personas):
    """A lead's SIREN (checked like a partner's) goes to the new partner, and a partner with the
    same SIREN is offered first."""
    client = en_client(personas.salesperson)
    bad = client.post(reverse("leads:create"), {"last_name": "Roux", "siren": "123456789"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["siren"]
    assert not Lead.objects.filter(last_name="Roux").exists()
    known = make_partner(personas.salesperson, name="Ancien nom", siren="552 100 554")
    lead = make_lead(
        personas.salesperson, last_name="Roux", enterprise_name="Nouveau nom", siren="552100554"
    )
    page = client.get(url("convert", lead))
    found = {m.record.pk: m.reasons for m in page.context["matches"].partners}
    assert found == {known.pk: ["same SIREN"]}
    post(client, lead)
    lead.refresh_from_db()
    assert lead.partner is not None and lead.partner.siren == "552100554"
    assert lead.partner.pk != known.pk
