from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from piste.core.models import Activity, Tag
from piste.core.rights import Role
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.users.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS
from piste.users.models import Company, CrmSettings, Membership, Team, User


def _counts() -> dict[str, int]:
    models = [Company, CrmSettings, User, Membership, Team, Tag, LostReason, Activity, Lead]
    return {model.__name__: model._default_manager.count() for model in models}


def test_demo_loads_two_companies_and_one_user_per_role(db):
    out = StringIO()
    call_command("load_demo", stdout=out)

    assert Company.objects.count() == 2
    assert CrmSettings.objects.count() == 2
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    admin = User.objects.get(username="admin")
    assert admin.memberships.count() == 2
    assert LostReason.objects.get(company=admin.active_company, name="Autre").comment_required
    for demo in DEMO_USERS:
        assert demo.username in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()


def test_every_demo_user_signs_in_with_the_demo_password(db):
    call_command("load_demo", stdout=StringIO())
    for demo in DEMO_USERS:
        client = Client()
        response = client.post("/login/", {"username": demo.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, demo.username
        assert client.get("/").status_code == 200, demo.username


def test_if_empty_leaves_loaded_data_unchanged(db):
    call_command("load_demo", stdout=StringIO())
    before = _counts()
    call_command("load_demo", "--if-empty", stdout=StringIO())
    assert _counts() == before


def test_loading_into_a_database_with_data_is_refused(db):
    call_command("load_demo", stdout=StringIO())
    before = _counts()
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert _counts() == before


def test_demo_sign_ins_prints_nothing_without_demo_users(db):
    out = StringIO()
    call_command("demo_sign_ins", stdout=out)
    assert out.getvalue() == ""
    call_command("load_demo", stdout=StringIO())
    call_command("demo_sign_ins", stdout=out)
    assert "commercial" in out.getvalue()


def test_the_demo_brings_french_cities_and_links_the_companies_addresses(db):
    from piste.geo.address import city_suggestions
    from piste.geo.models import City

    call_command("load_demo", stdout=StringIO())
    assert City.objects.filter(country__code="FR").count() >= 30
    paris = City.objects.get(insee_code="75056")
    assert paris.postal_codes.filter(code="75011").exists()
    assert [s["name"] for s in city_suggestions("75011")] == ["Paris"]
    lyon_company = Company.objects.get(name="Durand Conseil SARL")
    assert lyon_company.address is not None
    assert lyon_company.address.city is not None
    assert lyon_company.address.city.insee_code == "69123"


def test_demo_leads_go_through_the_lead_services_at_every_step(db):
    from piste.core.contact import phone_display
    from piste.leads.selectors import lead_statuses
    from piste.leads.services import DERIVED, _refresh_derived

    call_command("load_demo", stdout=StringIO())
    durand = Company.objects.get(name="Durand Conseil SARL")
    leads = Lead.objects.filter(company=durand).select_related("status", "address")
    assert 35 <= leads.count() <= 45
    assert not Lead.objects.exclude(company=durand).exists()
    # Every status but Converted (reached only by converting) holds demo leads.
    used = set(leads.values_list("status_id", flat=True))
    expected = {s.pk for s in lead_statuses(durand) if s.role != LeadStatus.Role.CONVERTED}
    assert used == expected
    lost = leads.filter(status__role=LeadStatus.Role.LOST)
    assert lost.count() >= 4 and not lost.filter(lost_reason=None).exists()
    assert lost.filter(lost_reason__name="Autre").exclude(lost_comment="").exists()
    assert leads.filter(assigned_to=None).count() >= 5
    assert leads.values("assigned_to").distinct().count() >= 4
    for lead in leads:
        verbs = list(
            Activity.objects.filter(content_type__model="lead", object_id=lead.pk).values_list(
                "verb", flat=True
            )
        )
        assert Activity.Verb.CREATED in verbs, lead
        if lead.status.role != LeadStatus.Role.DEFAULT:
            assert Activity.Verb.STATUS_CHANGED in verbs, lead
        stored = {name: getattr(lead, name) for name in DERIVED}
        _refresh_derived(lead)
        assert {name: getattr(lead, name) for name in DERIVED} == stored
        for phone in (lead.fixed_phone, lead.mobile_phone):
            assert not phone or phone.startswith("+33"), phone
    # Reopened: lost, then back to the default status without its lost reason.
    reopened = leads.get(last_name="Moreau")
    assert reopened.status.role == LeadStatus.Role.DEFAULT and reopened.lost_reason is None
    mercier = leads.get(last_name="Mercier")
    assert phone_display(mercier.mobile_phone) == "06 45 12 78 90"
    assert mercier.address is not None and mercier.address.city is not None
    assert mercier.city_name == "Toulouse" and mercier.address.city.insee_code == "31555"
    assert "<strong>Sophie</strong>" in mercier.description
    assert {t.name for t in mercier.tags.all()} == {"Open Source", "VIP"}
    assert mercier.agency is not None and mercier.team is not None
    # Taken in charge after a web form left it unassigned.
    michel = leads.get(last_name="Michel")
    assert michel.assigned_to == User.objects.get(username="commercial")
    assert Activity.objects.filter(
        content_type__model="lead", object_id=michel.pk, verb=Activity.Verb.ASSIGNED
    ).exists()


def test_demo_salesperson_sees_their_leads_and_their_team_s_only(db):
    from piste.leads.selectors import leads_for_user

    call_command("load_demo", stdout=StringIO())
    commercial = User.objects.get(username="commercial")
    visible = leads_for_user(commercial)
    mine = visible.filter(assigned_to=commercial)
    assert mine.count() >= 10
    durand = Company.objects.get(name="Durand Conseil SARL")
    assert 0 < visible.count() < Lead.objects.filter(company=durand).count()


def test_demo_address_book_has_draft_validated_closed_accounts_and_contacts(db):
    from piste.partners.models import Contact, Partner
    from piste.partners.selectors import Kind, accounts_search

    call_command("load_demo", stdout=StringIO())
    company = Company.objects.get(name="Durand Conseil SARL")
    partners = Partner.objects.filter(company=company)
    assert partners.filter(is_prospect=True, prospect_validated_at__isnull=True).exists()
    assert partners.filter(is_prospect=True, prospect_validated_at__isnull=False).exists()
    assert partners.filter(is_customer=True, is_closed=True).exists()
    assert Contact.objects.filter(company=company).count() >= 8
    # The demo's French names are found as a user types them.
    manager = User.objects.get(username="manager")
    found = accounts_search(manager, "mor")
    assert [str(r) for g in found if g.kind == Kind.PROSPECTS for r in g.rows] == [
        "Boulangeries Morel"
    ]
    assert "Claire Morel" in [str(r) for g in found if g.kind == Kind.CONTACTS for r in g.rows]


def test_demo_orders_confirmed_for_customers_and_a_draft_for_a_prospect(db):
    from piste.orders.models import SaleOrder

    call_command("load_demo", stdout=StringIO())
    company = Company.objects.get(name="Durand Conseil SARL")
    orders = SaleOrder.objects.filter(company=company).select_related("partner")
    confirmed = [o for o in orders if o.status == SaleOrder.Status.CONFIRMED]
    drafts = [o for o in orders if o.status == SaleOrder.Status.DRAFT]
    assert confirmed and all(o.partner.is_customer for o in confirmed)
    assert len(drafts) == 1 and drafts[0].partner.is_prospect
    assert sorted(o.number for o in orders) == list(range(1, len(orders) + 1))
