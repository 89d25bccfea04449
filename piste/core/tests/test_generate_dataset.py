import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from piste.core.models import Activity, Tag
from piste.core.text import fold
from piste.partners.models import IndustrySector
from piste.users.models import Company, User


def _generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_dataset", *args, stdout=out)
    return out.getvalue()


def _bench_counts() -> tuple[int, int]:
    company = Company.objects.get(name_key=fold("Bench SA"))
    return (
        Tag.objects.filter(company=company).count(),
        Activity.objects.filter(company=company).count(),
    )


def test_generates_the_asked_number_of_tags_and_activities(db):
    _generate("--size", "50")

    assert _bench_counts() == (50, 50)
    tag = Tag.objects.get(name="Étiquette 000007")
    assert tag.name_key == "etiquette 000007"
    timelines = Activity.objects.values_list("object_id", flat=True)
    assert set(timelines) <= set(Tag.objects.values_list("id", flat=True))
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    assert client.get("/config/tags/?q=000007").status_code == 200


def test_second_run_without_reset_is_refused(db):
    _generate("--size", "50")
    with pytest.raises(CommandError):
        _generate("--size", "50")
    assert _bench_counts() == (50, 50)


def test_reset_replaces_the_bench_rows_only(db, personas):
    Tag.objects.create(company=personas.company, name="Étiquette 000001")
    _generate("--size", "50")

    _generate("--size", "30", "--activities", "20", "--reset")

    assert _bench_counts() == (30, 20)
    assert Tag.objects.filter(company=personas.company).count() == 1
    assert User.objects.filter(username="bench").count() == 1


def test_generates_a_configuration_list(db):
    _generate("--entity", "industry-sectors", "--size", "40")
    assert IndustrySector.objects.filter(company__name_key=fold("Bench SA")).count() == 40


# Leads ---------------------------------------------------------------------------------------


def _bench_leads():
    from piste.leads.models import Lead

    return Lead.objects.filter(company__name_key=fold("Bench SA"))


def test_generated_leads_have_the_derived_columns_the_services_compute(db):
    from piste.core.contact import email_normalise, phone_normalise, website_normalise
    from piste.geo.models import Address
    from piste.leads.services import DERIVED, _refresh_derived

    _generate("--entity", "leads", "--leads", "400")

    leads = list(_bench_leads().select_related("address"))
    assert len(leads) == 400
    for lead in leads:
        stored = {name: getattr(lead, name) for name in DERIVED}
        # Generated leads keep their city without an Address row: recompute with one there.
        lead.address = Address(pk=-1, city_name=lead.city_name)
        _refresh_derived(lead)
        assert {name: getattr(lead, name) for name in DERIVED} == stored, lead.pk
        # What the lead form would store for what the lead shows.
        for phone in (lead.fixed_phone, lead.mobile_phone):
            assert phone_normalise(phone) == phone
        assert email_normalise(lead.email) == lead.email
        assert website_normalise(lead.website) == lead.website
        assert 0 <= lead.scoring <= 5


def test_generated_leads_spread_like_a_sales_team_s_leads(db):
    from piste.leads.models import Lead, LeadStatus
    from piste.users.models import Membership

    _generate("--size", "20")
    _generate("--entity", "leads", "--leads", "1000")

    leads = _bench_leads()
    company = Company.objects.get(name_key=fold("Bench SA"))
    statuses = LeadStatus.objects.filter(company=company)
    assert set(leads.values_list("status_id", flat=True)) == set(
        statuses.values_list("id", flat=True)
    )
    assert leads.filter(status__is_open=True).count() > 700
    lost = leads.filter(status__role=LeadStatus.Role.LOST)
    assert lost.exists() and not lost.filter(lost_reason__isnull=True).exists()
    assert not leads.filter(status__is_open=True, lost_reason__isnull=False).exists()
    assert 150 < leads.filter(assigned_to__isnull=True).count() < 250
    members = set(
        Membership.objects.filter(company=company, is_active=True).values_list("user_id", flat=True)
    )
    assignees = set(leads.exclude(assigned_to=None).values_list("assigned_to_id", flat=True))
    assert assignees <= members and len(assignees) == 21
    assert leads.filter(assigned_to__username="bench").count() > 30  # My leads of the bench user
    assert leads.exclude(team=None).exists() and leads.exclude(source=None).exists()
    assert Lead.tags.through.objects.filter(lead__in=leads).count() > 200
    oldest, newest = leads.order_by("created_at").first(), leads.order_by("created_at").last()
    assert (newest.created_at - oldest.created_at).days > 365 * 2
    assert leads.values("enterprise_key").distinct().count() > 300
    assert leads.values("city_key").distinct().count() > 30
    lead_timelines = Activity.objects.filter(company=company, object_id__in=leads.values("id"))
    assert lead_timelines.exclude(content_type__model="lead").count() <= lead_timelines.count()
    assert Activity.objects.filter(content_type__model="lead", company=company).count() == 30


def test_leads_are_refused_over_existing_ones_and_reset_replaces_the_bench_leads_only(db, personas):
    from piste.leads.models import Lead
    from piste.leads.tests.factories import make_lead

    ours = make_lead(personas.salesperson, last_name="Réel")
    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "100")
    with pytest.raises(CommandError):
        _generate("--entity", "leads", "--leads", "100")
    assert _bench_leads().count() == 100

    _generate("--entity", "leads", "--leads", "60", "--reset")

    assert _bench_leads().count() == 60
    company = Company.objects.get(name_key=fold("Bench SA"))
    lead_activities = Activity.objects.filter(company=company, content_type__model="lead")
    assert set(lead_activities.values_list("object_id", flat=True)) <= set(
        _bench_leads().values_list("id", flat=True)
    )
    assert Lead.objects.filter(pk=ours.pk).exists()
    assert Activity.objects.filter(object_id=ours.pk, content_type__model="lead").exists()
    assert User.objects.filter(username__startswith="bench").count() == 21


def test_resetting_the_tags_removes_their_lead_links_and_keeps_the_leads(db):
    from piste.leads.models import Lead

    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "100")
    assert Lead.tags.through.objects.exists()

    _generate("--size", "10", "--reset")

    assert _bench_leads().count() == 100
    assert not Lead.tags.through.objects.exists()


def test_a_large_load_on_postgresql_puts_back_every_index_and_foreign_key(db, monkeypatch):
    from django.db import connection

    from piste.core.management.commands import generate_dataset

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are dropped and rebuilt on PostgreSQL only")

    def schema() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'leads_lead%%' "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE 'leads_lead%%' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = schema()
    assert any("gin_trgm_ops" in definition for _name, definition in before)
    monkeypatch.setattr(generate_dataset, "REBUILD_INDEXES_FROM", 10)
    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "50")

    assert _bench_leads().count() == 50
    assert schema() == before


def test_the_bench_lead_scenarios_open_real_pages_showing_what_they_expect(db, monkeypatch):
    """Each lead scenario of bench/scenarios.py, on a small dataset (page 3 as the deep page):
    the URL answers 200 to the bench user and shows the expected lead."""
    from bench import scenarios
    from piste.core.contact import phone_display
    from piste.leads.models import LeadStatus

    monkeypatch.setattr(scenarios, "DEEP_PAGE", 3)
    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "3000")
    # Fragments of an open lead's name, company, email and phone, typed as people type them.
    lead = (
        _bench_leads()
        .filter(status__role=LeadStatus.Role.DEFAULT)
        .exclude(enterprise_name="")
        .exclude(email="")
        .exclude(mobile_phone="")
        .first()
    )
    monkeypatch.setattr(
        scenarios,
        "SEARCHES",
        {
            "name": lead.last_name[:5].lower(),
            "company": lead.enterprise_name[:12],
            "email": lead.email.split("@")[0],
            "phone": phone_display(lead.mobile_phone)[:8],
        },
    )
    dataset = scenarios.Dataset()
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    lead_scenarios = [s for s in scenarios.SCENARIOS if s.name.startswith("lead")]
    # Six lists, four searches twice (rows, whole page), the lead page, the two lead kanbans and
    # a kanban column's next cards.
    assert len(lead_scenarios) == 18
    for scenario in lead_scenarios:
        url = scenario.url(dataset)
        response = client.get(url, headers=scenario.headers)
        assert response.status_code == 200, url
        assert scenario.expect is not None
        assert scenario.expect(dataset) in response.content.decode(), (scenario.name, url)


# Partners and contacts -----------------------------------------------------------------------


def _bench_partners():
    from piste.partners.models import Partner

    return Partner.objects.filter(company__name_key=fold("Bench SA"))


def _bench_contacts():
    from piste.partners.models import Contact

    return Contact.objects.filter(company__name_key=fold("Bench SA"))


def test_generated_partners_and_contacts_have_the_derived_columns_the_services_compute(db):
    from piste.core.contact import email_normalise, phone_normalise, website_normalise
    from piste.geo.models import Address
    from piste.partners import identifiers
    from piste.partners.services import _refresh_contact, _refresh_partner

    _generate("--entity", "partners", "--partners", "400", "--contacts", "500")

    partners = list(_bench_partners())
    assert len(partners) == 400
    derived = ("full_name", "name_key", "alt_key", "city_name", "first_name", "civility", "siren")
    for partner in partners:
        stored = {name: getattr(partner, name) for name in derived}
        assert partner.version == 1 and partner.main_address_id is None
        # Generated partners keep their city without an Address row: recompute with one there.
        partner.main_address = Address(pk=-1, city_name=partner.city_name)
        _refresh_partner(partner)
        assert {name: getattr(partner, name) for name in derived} == stored, partner.pk
        # What the partner form would store for what the partner shows.
        for phone in (partner.fixed_phone, partner.mobile_phone):
            assert phone_normalise(phone) == phone
        assert email_normalise(partner.email) == partner.email
        assert website_normalise(partner.website) == partner.website
        assert identifiers.siren_clean(partner.siren) == partner.siren
        assert identifiers.siret_clean(partner.siret) == partner.siret
        assert identifiers.vat_clean(partner.vat_number) == partner.vat_number
        assert identifiers.ape_clean(partner.ape_code) == partner.ape_code
        assert not partner.siret or partner.siret[:9] == partner.siren
    assert sum(bool(p.siret) for p in partners) > 100

    contacts = list(_bench_contacts().select_related("main_partner"))
    assert len(contacts) == 500
    for contact in contacts:
        stored = {name: getattr(contact, name) for name in ("full_name", "name_key", "alt_key")}
        closed = contact.partner_closed
        _refresh_contact(contact)
        assert {n: getattr(contact, n) for n in stored} == stored, contact.pk
        assert contact.partner_closed == closed == contact.main_partner.is_closed
        assert contact.assigned_to_id == contact.main_partner.assigned_to_id
        assert contact.team_id == contact.main_partner.team_id
        assert contact.created_at >= contact.main_partner.created_at
        for phone in (contact.fixed_phone, contact.mobile_phone):
            assert phone_normalise(phone) == phone
        assert email_normalise(contact.email) == contact.email


def test_generated_partners_spread_like_an_address_book(db):
    from piste.partners.models import PartnerType
    from piste.users.models import Membership

    _generate("--size", "20")
    _generate("--entity", "partners", "--partners", "3000", "--contacts", "2000")

    partners = _bench_partners()
    assert 350 < partners.filter(partner_type=PartnerType.INDIVIDUAL).count() < 550
    prospects = partners.filter(is_prospect=True)
    assert 1500 < prospects.count() < 1800
    validated = prospects.exclude(prospect_validated_at=None)
    assert 0.4 < validated.count() / prospects.count() < 0.6
    assert not validated.filter(prospect_validated_by=None).exists()
    assert not partners.filter(is_prospect=False).exclude(prospect_validated_at=None).exists()
    assert 600 < partners.filter(is_customer=True).count() < 900
    assert 300 < partners.filter(is_supplier=True, is_customer=False).count() < 450
    assert partners.filter(is_partner=True).exists()
    closed = partners.filter(is_closed=True)
    assert 60 < closed.count() < 200
    assert not closed.filter(closed_on=None).exists()
    assert not partners.filter(is_closed=False).exclude(closed_on=None).exists()
    company = Company.objects.get(name_key=fold("Bench SA"))
    members = set(
        Membership.objects.filter(company=company, is_active=True).values_list("user_id", flat=True)
    )
    owners = set(partners.exclude(assigned_to=None).values_list("assigned_to_id", flat=True))
    assert owners <= members and len(owners) == 21
    assert 450 < partners.filter(assigned_to=None).count() < 750
    assert partners.exclude(team=None).exists()
    assert partners.exclude(city_name="").count() > 2500
    oldest, newest = partners.order_by("created_at").first(), partners.order_by("created_at").last()
    assert (newest.created_at - oldest.created_at).days > 365 * 2
    assert partners.values("name_key").distinct().count() > 1500

    contacts = _bench_contacts()
    assert contacts.filter(partner_closed=True).exists()
    assert not contacts.filter(main_partner__partner_type=PartnerType.INDIVIDUAL).exists()
    assert contacts.exclude(job_title=None).count() > 1400
    assert contacts.exclude(department=None).exists()
    assert partners.model.tags.through.objects.filter(partner__in=partners).count() > 600
    assert contacts.model.tags.through.objects.filter(contact__in=contacts).count() > 150
    # One partner and one contact in 1,000 get a 30-line timeline.
    for model, count in (("partner", 3), ("contact", 2)):
        timelines = Activity.objects.filter(company=company, content_type__model=model)
        assert timelines.count() == 30 * count, model


def test_contacts_without_partners_are_refused_and_nothing_is_written(db):
    with pytest.raises(CommandError, match="Contacts need partners"):
        _generate("--entity", "partners", "--partners", "0", "--contacts", "5")
    with pytest.raises(CommandError, match="negative"):
        _generate("--entity", "partners", "--partners", "-1")

    assert not Company.objects.filter(name_key=fold("Bench SA")).exists()


def test_partners_are_refused_over_existing_ones_and_reset_replaces_the_bench_partners_only(
    db, personas
):
    from piste.geo.models import Address
    from piste.orders.models import SaleOrder
    from piste.partners.models import Contact, Partner
    from piste.partners.tests.factories import make_contact, make_partner

    ours = make_partner(personas.salesperson, name="Réel Industrie")
    our_contact = make_contact(personas.salesperson, ours, last_name="Réel")
    _generate("--size", "10")
    _generate("--entity", "partners", "--partners", "100", "--contacts", "80")
    with pytest.raises(CommandError, match="add --reset"):
        _generate("--entity", "partners", "--partners", "100")
    assert (_bench_partners().count(), _bench_contacts().count()) == (100, 80)
    # Rows someone made by hand in the bench company: a subsidiary, an address, a contact
    # also attached to another partner.
    bench_partners = list(_bench_partners().order_by("id")[:3])
    parent, child, other = bench_partners
    child.parent = parent
    child.main_address = Address.objects.create(city_name="Lyon")
    child.save()
    contact = _bench_contacts().first()
    contact.other_partners.add(other)
    # An order of a bench partner goes with it; one of ours stays.
    SaleOrder.objects.create(
        company=other.company, number=1, partner=other, order_date=dt.date(2026, 1, 5), total=1
    )
    our_order = SaleOrder.objects.create(
        company=ours.company, number=1, partner=ours, order_date=dt.date(2026, 1, 5), total=1
    )

    _generate("--entity", "partners", "--partners", "60", "--contacts", "40", "--reset")
    assert list(SaleOrder.objects.all()) == [our_order]

    assert (_bench_partners().count(), _bench_contacts().count()) == (60, 40)
    assert not Address.objects.filter(city_name="Lyon").exists()
    company = Company.objects.get(name_key=fold("Bench SA"))
    for model, rows in (("partner", _bench_partners()), ("contact", _bench_contacts())):
        timeline = Activity.objects.filter(company=company, content_type__model=model)
        assert set(timeline.values_list("object_id", flat=True)) <= set(
            rows.values_list("id", flat=True)
        )
    assert Partner.objects.filter(pk=ours.pk).exists()
    assert Contact.objects.filter(pk=our_contact.pk, main_partner=ours).exists()
    assert Activity.objects.filter(object_id=ours.pk, content_type__model="partner").exists()
    assert User.objects.filter(username__startswith="bench").count() == 21


def test_resetting_the_tags_removes_their_partner_and_contact_links_only(db):
    from piste.partners.models import Contact, Partner

    _generate("--size", "10")
    _generate("--entity", "partners", "--partners", "100", "--contacts", "100")
    assert Partner.tags.through.objects.exists() and Contact.tags.through.objects.exists()

    _generate("--size", "10", "--reset")

    assert (_bench_partners().count(), _bench_contacts().count()) == (100, 100)
    assert not Partner.tags.through.objects.exists()
    assert not Contact.tags.through.objects.exists()


def test_a_large_partner_load_on_postgresql_puts_back_every_index_and_foreign_key(db, monkeypatch):
    from django.db import connection

    from piste.core.management.commands import generate_dataset

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are dropped and rebuilt on PostgreSQL only")

    def schema() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename LIKE 'partners_partner%%' OR tablename LIKE 'partners_contact%%' "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE 'partners_partner%%' "
                "OR conrelid::regclass::text LIKE 'partners_contact%%' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = schema()
    assert any('COLLATE "C"' in definition for _name, definition in before)
    monkeypatch.setattr(generate_dataset, "REBUILD_INDEXES_FROM", 10)
    _generate("--size", "10")
    _generate("--entity", "partners", "--partners", "50", "--contacts", "40")

    assert (_bench_partners().count(), _bench_contacts().count()) == (50, 40)
    assert schema() == before


def test_the_bench_accounts_scenarios_open_real_pages_showing_what_they_expect(db):
    """Each accounts scenario of bench/scenarios.py, on a small dataset: the URL answers 200 to
    the bench user and shows the record it expects (the first suggestion, the first row of the
    second page of prospects, the partner or contact of the page)."""
    from bench import scenarios

    _generate("--size", "10")
    _generate("--entity", "partners", "--partners", "3000", "--contacts", "3000")
    dataset = scenarios.Dataset()
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    accounts_scenarios = [
        s for s in scenarios.SCENARIOS if s.name.startswith(("accounts", "partner", "contact"))
    ]
    assert [s.name for s in accounts_scenarios] == [
        "accounts_suggest_2",
        "accounts_suggest_3",
        "accounts_suggest_5",
        "accounts_results",
        "accounts_results_kind",
        "partner_page",
        "partner_activity_tab",
        "contact_page",
    ]
    for scenario in accounts_scenarios:
        url = scenario.url(dataset)
        response = client.get(url, headers=scenario.headers)
        assert response.status_code == 200, url
        assert scenario.expect is not None
        assert scenario.expect(dataset) in response.content.decode(), (scenario.name, url)


# Opportunities -------------------------------------------------------------------------------


def _bench_opportunities():
    from piste.opportunities.models import Opportunity

    return Opportunity.objects.filter(company__name_key=fold("Bench SA"))


def _live_totals(company_id: int) -> dict[tuple[int, str, int, int, int], tuple]:
    from django.db.models import Count, Sum

    from piste.opportunities.models import Opportunity

    rows = (
        Opportunity.objects.filter(company_id=company_id)
        .values("stage_id", "currency", "assigned_to_id", "team_id", "created_by_id")
        .annotate(n=Count("id"), amount=Sum("amount"), weighted=Sum("weighted_amount"))
    )
    return {
        (
            r["stage_id"],
            r["currency"],
            r["assigned_to_id"] or 0,
            r["team_id"] or 0,
            r["created_by_id"] or 0,
        ): (r["n"], r["amount"], r["weighted"])
        for r in rows
    }


def _stored_totals(company_id: int) -> dict[tuple[int, str, int, int, int], tuple]:
    from piste.opportunities.models import StageTotal

    return {
        (t.stage_id, t.currency, t.owner_id, t.team_id, t.creator_id): (
            t.count,
            t.amount,
            t.weighted_amount,
        )
        for t in StageTotal.objects.filter(company_id=company_id)
    }


def test_opportunities_without_partners_are_refused_and_nothing_is_written(db):
    with pytest.raises(CommandError, match="no partners"):
        _generate("--entity", "opportunities", "--opportunities", "10")
    with pytest.raises(CommandError, match="negative"):
        _generate("--entity", "opportunities", "--opportunities", "-1")

    assert not Company.objects.filter(name_key=fold("Bench SA")).exists()


def test_generated_opportunities_have_the_derived_columns_and_running_totals_of_the_services(db):
    from django.utils import timezone

    from piste.opportunities.services import _refresh_derived

    _generate("--entity", "partners", "--partners", "200", "--contacts", "0")
    out = _generate("--entity", "opportunities", "--opportunities", "1500")

    assert "stage totals:" in out
    opportunities = list(_bench_opportunities().select_related("stage", "partner"))
    assert len(opportunities) == 1500
    assert sorted(o.number for o in opportunities) == list(range(1, 1501))
    today = timezone.localdate()
    for opportunity in opportunities:
        stored = (opportunity.name_key, opportunity.weighted_amount)
        _refresh_derived(opportunity)
        assert (opportunity.name_key, opportunity.weighted_amount) == stored, opportunity.pk
        assert opportunity.partner.company_id == opportunity.company_id
        assert opportunity.amount > 0 and 0 <= opportunity.probability <= 100
        if opportunity.expected_close_date is not None:
            assert abs((opportunity.expected_close_date - today).days) <= 365
        assert (opportunity.closed_at is None) == opportunity.stage.is_open
        assert (opportunity.lost_reason_id is not None) == (opportunity.stage.role == "lost")
    # The kanban's running totals are those the services would have kept.
    company = Company.objects.get(name_key=fold("Bench SA"))
    assert _stored_totals(company.pk) == _live_totals(company.pk)


def test_generated_opportunities_spread_like_a_sales_pipeline(db):
    from piste.opportunities.models import OpportunityStage
    from piste.users.models import Membership

    _generate("--size", "10")
    _generate("--entity", "partners", "--partners", "300", "--contacts", "10")
    _generate("--entity", "opportunities", "--opportunities", "2000")

    opportunities = _bench_opportunities()
    company = Company.objects.get(name_key=fold("Bench SA"))
    stages = OpportunityStage.objects.filter(company=company)
    assert set(opportunities.values_list("stage_id", flat=True)) == set(
        stages.values_list("id", flat=True)
    )
    assert 1100 < opportunities.filter(stage__is_open=True).count() < 1700
    members = set(
        Membership.objects.filter(company=company, is_active=True).values_list("user_id", flat=True)
    )
    owners = set(opportunities.exclude(assigned_to=None).values_list("assigned_to_id", flat=True))
    assert owners <= members and len(owners) == 21
    assert opportunities.exclude(team=None).exists()
    assert opportunities.filter(currency="EUR").count() > 1800
    assert opportunities.exclude(currency="EUR").exists()
    assert opportunities.values("partner_id").distinct().count() > 150
    dated = opportunities.exclude(expected_close_date=None).order_by("expected_close_date")
    first, last = dated.first(), dated.last()
    assert (last.expected_close_date - first.expected_close_date).days > 600
    assert Activity.objects.filter(company=company, content_type__model="opportunity").count() == 60


def test_opportunities_are_refused_over_existing_ones_and_reset_replaces_the_bench_ones_only(
    db, personas
):
    from piste.core.access import actor_for
    from piste.opportunities.models import Opportunity, StageTotal
    from piste.opportunities.services import opportunity_create
    from piste.partners.tests.factories import make_partner

    partner = make_partner(personas.salesperson, name="Réel Industrie")
    actor = actor_for(personas.salesperson)
    assert actor is not None
    ours = opportunity_create(
        actor=actor,
        data={"name": "Vraie affaire", "partner": partner, "amount": "1000"},
    )
    ours_totals = _stored_totals(personas.company.pk)
    _generate("--entity", "partners", "--partners", "50", "--contacts", "0")
    _generate("--entity", "opportunities", "--opportunities", "100")
    with pytest.raises(CommandError, match="add --reset"):
        _generate("--entity", "opportunities", "--opportunities", "100")
    assert _bench_opportunities().count() == 100

    _generate("--entity", "opportunities", "--opportunities", "60", "--reset")

    company = Company.objects.get(name_key=fold("Bench SA"))
    assert _bench_opportunities().count() == 60
    assert _stored_totals(company.pk) == _live_totals(company.pk)
    timeline = Activity.objects.filter(company=company, content_type__model="opportunity")
    assert set(timeline.values_list("object_id", flat=True)) <= set(
        _bench_opportunities().values_list("id", flat=True)
    )
    assert Opportunity.objects.filter(pk=ours.pk).exists()
    assert _stored_totals(personas.company.pk) == ours_totals
    # Resetting the partners takes their opportunities and the running totals with them.
    _generate("--entity", "partners", "--partners", "20", "--contacts", "0", "--reset")
    assert not _bench_opportunities().exists()
    assert not StageTotal.objects.filter(company=company).exists()
    assert Opportunity.objects.filter(pk=ours.pk).exists()
    assert _stored_totals(personas.company.pk) == ours_totals


def test_a_large_opportunity_load_on_postgresql_puts_back_every_index_and_foreign_key(
    db, monkeypatch
):
    from django.db import connection

    from piste.core.management.commands import generate_dataset

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are dropped and rebuilt on PostgreSQL only")

    def schema() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename LIKE 'opportunities_opportunity%%' "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE 'opportunities_opportunity%%' ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = schema()
    assert any("opportunity_stage_idx" in name for name, _definition in before)
    _generate("--entity", "partners", "--partners", "30", "--contacts", "0")
    monkeypatch.setattr(generate_dataset, "REBUILD_INDEXES_FROM", 10)
    _generate("--entity", "opportunities", "--opportunities", "50")

    assert _bench_opportunities().count() == 50
    assert schema() == before


def test_the_bench_opportunity_scenarios_open_real_pages_showing_what_they_expect(db):
    """Each opportunity scenario of bench/scenarios.py, on a small dataset: the URL answers 200
    to the bench user and shows the card it expects."""
    from bench import scenarios

    _generate("--entity", "partners", "--partners", "300", "--contacts", "0")
    _generate("--entity", "opportunities", "--opportunities", "3000")
    dataset = scenarios.Dataset()
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    opportunity_scenarios = [s for s in scenarios.SCENARIOS if s.name.startswith("opportunit")]
    assert [s.name for s in opportunity_scenarios] == [
        "opportunities_kanban",
        "opportunities_kanban_column_more",
        "opportunities_kanban_search",
        "opportunities_calendar_month",
        "opportunities_calendar_week",
    ]
    for scenario in opportunity_scenarios:
        url = scenario.url(dataset)
        response = client.get(url, headers=scenario.headers)
        assert response.status_code == 200, url
        assert scenario.expect is not None
        assert scenario.expect(dataset) in response.content.decode(), (scenario.name, url)


def test_the_conversion_scenario_converts_then_puts_the_dataset_back(db):
    """The bench's one POST scenario: each request converts a lead of its own into a new prospect
    and contact (a redirect to the converted page); its cleanup leaves the sizes as they were."""
    from bench import scenarios
    from piste.leads.models import Lead
    from piste.partners.models import Contact, Partner

    _generate("--size", "10")
    _generate("--entity", "leads", "--leads", "300")
    _generate("--entity", "partners", "--partners", "50", "--contacts", "50")
    dataset = scenarios.Dataset()
    [scenario] = [s for s in scenarios.SCENARIOS if s.name == "convert_lead"]
    assert scenario.posts is not None and scenario.cleanup is not None
    posts = scenario.posts(dataset, 3)
    assert len({url for url, _data in posts}) == 3
    sizes = (Partner.objects.count(), Contact.objects.count())
    client = Client()
    assert client.login(username="bench", password="bench-pass")
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"].startswith(scenario.expect_redirect)
    converted = Lead.objects.filter(partner__isnull=False)
    assert converted.count() == 3
    assert (Partner.objects.count(), Contact.objects.count()) == (sizes[0] + 3, sizes[1] + 3)
    scenario.cleanup(posts)
    assert not Lead.objects.filter(partner__isnull=False).exists()
    assert (Partner.objects.count(), Contact.objects.count()) == sizes
    assert scenario.posts(dataset, 3) == posts  # the same leads are convertible again
