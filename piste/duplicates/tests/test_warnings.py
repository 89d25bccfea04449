"""Warnings while typing: each rule, the summaries, the edited record, access, bad input and the
query count of /duplicates/warnings/<entity>/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from stdnum import luhn

from piste.core.access import require_actor
from piste.core.testing import en_client
from piste.duplicates.rules_warnings import CAP, company_keys, typed_values
from piste.leads.models import Lead
from piste.leads.tests.factories import address_data, make_lead
from piste.partners import services as partner_services
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import CrmSettings

pytestmark = pytest.mark.django_db

URL = "/duplicates/warnings/{}/"
_MATCH = re.compile(r'data-entity="(\w+)" data-id="(\d+)"')


def siren(body: str = "73282932") -> str:
    return body + luhn.calc_check_digit(body)


def warn(user: Any, entity: str = "lead", **params: Any) -> tuple[set[tuple[str, int]], str]:
    """The (entity, id) of the records listed, and the fragment's text."""
    response = en_client(user).get(URL.format(entity), params)
    assert response.status_code == 200
    html = response.content.decode()
    return {(e, int(pk)) for e, pk in _MATCH.findall(html)}, html


def row(html: str, entity: str, pk: int) -> str:
    """The listed line of one record."""
    start = html.index(f'data-entity="{entity}" data-id="{pk}"')
    return html[start : html.index("</li>", start)]


# Rules ---------------------------------------------------------------------------------------


def test_same_email_is_found_on_the_three_tables_whatever_its_case(personas):
    user = personas.salesperson
    lead = make_lead(user, email="Jean.Dupont@Morel.fr")
    partner = make_partner(user, email="jean.dupont@morel.fr")
    contact = make_contact(user, partner, email="JEAN.DUPONT@MOREL.FR")
    make_lead(user, last_name="Autre", email="other@elsewhere.fr")
    found, html = warn(user, email="  jean.DUPONT@morel.fr ")
    assert found == {("lead", lead.pk), ("partner", partner.pk), ("contact", contact.pk)}
    assert "same email" in row(html, "lead", lead.pk)
    assert f'href="/leads/{lead.pk}/" target="_blank"' in html
    assert "Possible duplicates" in html


def test_an_address_being_typed_looks_nothing_up(personas, django_assert_num_queries):
    make_lead(personas.salesperson, email="jean@morel.fr")
    client = en_client(personas.salesperson)
    client.get(URL.format("lead"))  # the session and the actor, once
    # 1-4. session, user, memberships (with the company's settings), team ids: no rule runs.
    with django_assert_num_queries(4):
        response = client.get(URL.format("lead"), {"email": "jean@morel", "last_name": "J"})
    assert response.content.decode().strip() == ""


def test_typed_phone_finds_the_number_as_fixed_or_mobile_on_each_table(personas):
    user = personas.salesperson
    as_fixed = make_lead(user, fixed_phone="+33612345678")
    as_mobile = make_lead(user, last_name="Petit", mobile_phone="06 12 34 56 78")
    partner = make_partner(user, fixed_phone="+33612345678")
    partner_mobile = make_partner(user, name="Autre SA", mobile_phone="+33612345678")
    contact = make_contact(user, partner, mobile_phone="+33612345678")
    contact_fixed = make_contact(user, partner, last_name="Roux", fixed_phone="+33612345678")
    make_lead(user, last_name="Other", fixed_phone="+33612345679")
    found, html = warn(user, fixed_phone="06 12 34 56 78")
    assert found == {
        ("lead", as_fixed.pk),
        ("lead", as_mobile.pk),
        ("partner", partner.pk),
        ("partner", partner_mobile.pk),
        ("contact", contact.pk),
        ("contact", contact_fixed.pk),
    }
    assert "same phone" in row(html, "contact", contact.pk)
    # The mobile field too, in international form.
    found, _html = warn(user, "contact", mobile_phone="+33 6 12 34 56 78")
    assert ("lead", as_fixed.pk) in found


def test_same_siren_on_leads_and_partners_and_a_siret_starts_with_it(personas):
    user = personas.salesperson
    lead = make_lead(user, siren=siren())
    partner = make_partner(user, siren=siren())
    make_partner(user, name="Autre SA", siren=siren("12345678"))
    found, html = warn(user, siren=f"{siren()[:3]} {siren()[3:6]} {siren()[6:]}")
    assert found == {("lead", lead.pk), ("partner", partner.pk)}
    assert "same SIREN" in row(html, "partner", partner.pk)
    found, _html = warn(user, "partner", siret=f"{siren()}00017", name="Nouveau")
    assert {("lead", lead.pk), ("partner", partner.pk)} <= found
    # A SIREN being typed (8 digits) looks nothing up.
    assert warn(user, siren=siren()[:8])[0] == set()


def test_similar_name_at_the_same_company(personas):
    user = personas.salesperson
    lead = make_lead(user, first_name="Jean", last_name="Dupont", enterprise_name="Morel SARL")
    other = make_lead(user, first_name="Paul", last_name="Durand", enterprise_name="Morel SARL")
    elsewhere = make_lead(user, first_name="Jean", last_name="Dupont", enterprise_name="Roux SA")
    morel = make_partner(user, name="Morel SARL")
    contact = make_contact(user, morel, first_name="Jean", last_name="Dupont")
    found, html = warn(user, first_name="Jean", last_name="Dupond", enterprise_name="Morel SARL")
    assert ("lead", lead.pk) in found and ("contact", contact.pk) in found
    assert ("lead", other.pk) not in found and ("lead", elsewhere.pk) not in found
    assert "similar name (91 %) at the same company" in row(html, "lead", lead.pk)
    # The lead's company is already a partner.
    assert "similar company name (100 %)" in row(html, "partner", morel.pk)
    # The same company without its legal form; the last names alone while no first name is
    # typed (a typo in six letters is too far then: 83 %).
    found, _html = warn(user, last_name="DUPONT", enterprise_name="morel")
    assert ("lead", lead.pk) in found
    # A contact's company is its partner: other contacts of it with a close name.
    found, html = warn(
        user, "contact", first_name="Jean", last_name="Dupond", enterprise_name="Morel SARL"
    )
    assert ("contact", contact.pk) in found and ("partner", morel.pk) not in found


def test_a_partner_being_typed_finds_the_partners_and_leads_of_its_name(personas):
    user = personas.salesperson
    morel = make_partner(user, name="Morel SARL")
    lead = make_lead(user, last_name="Petit", enterprise_name="Morel")
    found, html = warn(user, "partner", name="Morel SAS", partner_type="organisation")
    assert found == {("partner", morel.pk), ("lead", lead.pk)}
    assert "similar company name (100 %)" in row(html, "lead", lead.pk)


def test_similar_name_in_the_same_city(personas):
    user = personas.salesperson
    lyon = make_lead(
        user, first_name="Marie", last_name="Lefebvre", address=address_data(city_name="Lyon")
    )
    paris = make_lead(
        user, first_name="Marie", last_name="Lefebvre", address=address_data(city_name="Paris")
    )
    person = partner_services.partner_create(
        actor=require_actor(user),
        data={"partner_type": "individual", "first_name": "Marie", "name": "Lefèbvre"},
        addresses={"main_address": address_data(city_name="Lyon")},
    )
    found, html = warn(user, first_name="Marie", last_name="Lefevre", city="lyon")
    assert ("lead", lyon.pk) in found and ("partner", person.pk) in found
    assert ("lead", paris.pk) not in found
    assert "similar name (96 %) in the same city" in row(html, "lead", lyon.pk)
    # A partner being typed, as a person.
    found, _html = warn(
        user, "partner", partner_type="individual", first_name="Marie", name="Lefebvre", city="Lyon"
    )
    assert ("lead", lyon.pk) in found and ("partner", person.pk) in found


def test_a_typo_in_a_common_name_of_a_big_city_is_found_past_other_cities_namesakes(personas):
    """Hundreds of Duponts elsewhere sort between the typed name and the Lyon lead: the leads'
    window stays in the typed city (the (company, city_key, name_key, id) index)."""
    from piste.duplicates.rules_warnings import WINDOW

    user = personas.salesperson
    lyon = make_lead(
        user, first_name="Jean", last_name="Dupond", address=address_data(city_name="Lyon")
    )
    template = Lead.objects.get(pk=lyon.pk)
    columns = [f.attname for f in Lead._meta.concrete_fields]
    others = []
    for n in range(WINDOW * 3):
        # "dupond jean" < "dupond jeanNNN" < "dupont jean": between the typed name and the lead.
        other = Lead(**{name: getattr(template, name) for name in columns})
        other.pk = other.id = None
        other.address_id = None
        other.first_name, other.name_key = f"Jean{n:03}", f"dupond jean{n:03}"
        other.city_name, other.city_key = "Paris", "paris"
        others.append(other)
    Lead.objects.bulk_create(others)
    found, _html = warn(user, first_name="Jean", last_name="Dupont", city="Lyon")
    assert ("lead", lyon.pk) in found


def test_same_email_domain_unless_public(personas):
    user = personas.salesperson
    acme = make_lead(user, email="paul@acme.fr")
    gmail = make_lead(user, last_name="Roux", email="paul@gmail.com")
    found, html = warn(user, email="marie@acme.fr")
    assert found == {("lead", acme.pk)}
    assert "same email domain" in row(html, "lead", acme.pk)
    # gmail.com is in the company's public domains: never a duplicate by domain.
    assert warn(user, email="marie@gmail.com")[0] == set()
    settings = CrmSettings.objects.get(company=personas.company)
    settings.ignored_email_domains = "hotmail.com\nACME.fr\n"
    settings.save()
    assert warn(user, email="marie@gmail.com")[0] == {("lead", gmail.pk)}
    assert warn(user, email="marie@acme.fr")[0] == set()


def test_the_same_email_is_not_also_a_same_domain_reason(personas):
    user = personas.salesperson
    lead = make_lead(user, email="paul@acme.fr")
    _found, html = warn(user, email="paul@acme.fr")
    assert "same email domain" not in row(html, "lead", lead.pk)


def test_a_record_found_by_several_rules_is_listed_once_with_each_reason(personas):
    user = personas.salesperson
    lead = make_lead(user, email="paul@acme.fr", fixed_phone="+33144556677")
    found, html = warn(user, email="paul@acme.fr", fixed_phone="01 44 55 66 77")
    assert found == {("lead", lead.pk)}
    assert html.count(f'data-id="{lead.pk}"') == 1
    assert "same email, same phone" in row(html, "lead", lead.pk)


# Too many ------------------------------------------------------------------------------------


def test_a_rule_matching_too_many_records_says_so_instead_of_listing_them(personas):
    user = personas.salesperson
    for i in range(CAP + 1):
        make_lead(user, last_name=f"Lead {i}", email="contact@acme.fr")
    found, html = warn(user, email="contact@acme.fr")
    assert found == set()
    assert f"{CAP}+ records share this email address" in html


def test_a_busy_domain_shows_its_count_and_its_first_records(personas):
    user = personas.salesperson
    leads = [make_lead(user, last_name=f"Lead {i}", email=f"p{i}@acme.fr") for i in range(CAP + 2)]
    found, html = warn(user, email="new@acme.fr")
    assert f"{CAP}+ records at acme.fr" in html
    # Three of them (the newest of those read).
    assert len(found) == 3 and found <= {("lead", lead.pk) for lead in leads}


# The edited record ---------------------------------------------------------------------------


def test_the_edited_record_is_left_out_of_its_own_warnings(personas):
    user = personas.salesperson
    lead = make_lead(user, email="paul@acme.fr")
    twin = make_lead(user, last_name="Twin", email="paul@acme.fr")
    assert warn(user, email="paul@acme.fr", exclude=lead.pk)[0] == {("lead", twin.pk)}
    # Only from its own table: a partner with that id is another record.
    partner = make_partner(user, email="paul@acme.fr")
    found, _html = warn(user, "partner", email="paul@acme.fr", exclude=partner.pk)
    assert ("partner", partner.pk) not in found and ("lead", lead.pk) in found


def test_a_converted_lead_and_what_it_became_are_not_duplicates_of_each_other(personas):
    user = personas.salesperson
    partner = make_partner(user, email="paul@acme.fr")
    contact = make_contact(user, partner, email="paul@acme.fr")
    lead = make_lead(user, email="paul@acme.fr")
    Lead.objects.filter(pk=lead.pk).update(partner=partner, contact=contact)
    other = make_lead(user, last_name="Other", email="paul@acme.fr")
    found, _html = warn(user, "partner", email="paul@acme.fr", exclude=partner.pk)
    assert found == {("contact", contact.pk), ("lead", other.pk)}
    found, _html = warn(user, "contact", email="paul@acme.fr", exclude=contact.pk)
    assert found == {("partner", partner.pk), ("lead", other.pk)}
    found, _html = warn(user, "lead", email="paul@acme.fr", exclude=lead.pk)
    assert found == {("lead", other.pk)}


# Access --------------------------------------------------------------------------------------


def test_records_the_user_may_not_see_are_never_shown(personas):
    mine = make_lead(personas.salesperson, email="paul@acme.fr")
    theirs = make_lead(personas.other, email="paul@acme.fr")
    merged = make_lead(personas.salesperson, last_name="Old", email="paul@acme.fr")
    Lead.objects.filter(pk=merged.pk).update(merged_into=mine, merged_at=timezone.now())
    # Another company's record, and a merged (archived) one, never.
    assert warn(personas.salesperson, email="paul@acme.fr")[0] == {("lead", mine.pk)}
    assert warn(personas.other, email="paul@acme.fr")[0] == {("lead", theirs.pk)}
    # The outsider (another team) sees none of the salesperson's records; the manager sees them.
    assert warn(personas.outsider, email="paul@acme.fr")[0] == set()
    assert warn(personas.reader, email="paul@acme.fr")[0] == {("lead", mine.pk)}


def test_closed_accounts_show_only_with_the_right(personas):
    partner = make_partner(personas.administrator, email="paul@acme.fr")
    partner.is_closed = True
    partner.save(update_fields=["is_closed"])
    assert warn(personas.marketing, email="paul@acme.fr")[0] == set()
    assert warn(personas.manager, email="paul@acme.fr")[0] == {("partner", partner.pk)}


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(URL.format("lead"), {"email": "paul@acme.fr"})
    assert response.status_code == 302


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"email": "a\x00b@acme.fr", "last_name": "Du\x00pont", "city": "\x00"},
        {"email": "x" * 10_000 + "@acme.fr", "last_name": "x" * 10_000, "city": "y" * 10_000},
        {"fixed_phone": "+" + "9" * 10_000, "mobile_phone": "0" * 10_000, "siren": "1" * 10_000},
        {"enterprise_name": "S.A.R.L." * 2000, "first_name": "Ü" * 5000, "last_name": "Ω" * 5000},
        {"last_name": "\U0010ffff" * 3, "city": "\U0010ffff\U0010ffff", "enterprise_name": "😀😀"},
        {"last_name": "\ud7ff\ud7ff", "city": "lyon", "siret": "٣٣٣٣٣٣٣٣٣٣٣٣٣٣"},
        {"exclude": "abc"},
        {"exclude": "9" * 40, "email": "paul@acme.fr"},
        {"partner_type": "\x00", "name": "\x00" * 100},
    ],
)
@pytest.mark.parametrize("entity", ["lead", "partner", "contact"])
def test_bad_input_never_fails(personas, entity, params):
    make_lead(personas.salesperson, email="paul@acme.fr", address=address_data(city_name="Lyon"))
    response = en_client(personas.salesperson).get(URL.format(entity), params)
    assert response.status_code == 200


def test_an_unknown_entity_is_a_404(personas):
    response = en_client(personas.salesperson).get(URL.format("opportunity"))
    assert response.status_code == 404


def test_a_user_without_company_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="x-Pass-123!")
    response = en_client(user).get(URL.format("lead"), {"email": "paul@acme.fr"})
    assert response.status_code == 403


def test_typed_values_are_bounded_and_cleaned():
    typed = typed_values("lead", {"email": "Paul@Acme.FR", "fixed_phone": "01 23 45 67 89"})
    assert (typed.email, typed.domain, typed.phones) == (
        "paul@acme.fr",
        "acme.fr",
        ("+33123456789",),
    )
    assert typed_values("lead", {"last_name": "x" * 5000}).last_name == "x" * 100
    partner = typed_values("partner", {"name": "Morel", "first_name": "Jean"})
    assert (partner.organisation, partner.company, partner.person) == (True, "Morel", "")
    assert company_keys("S.A.R.L. Morel")[:2] == ["s.a.r.l. morel", "morel"]


# Query count ---------------------------------------------------------------------------------


def test_a_full_warning_request_runs_a_fixed_number_of_queries(personas, django_assert_num_queries):
    user = personas.salesperson
    for i in range(3):
        make_lead(
            user,
            first_name="Jean",
            last_name="Dupont",
            enterprise_name="Morel SARL",
            email=f"jean{i}@morel.fr",
            address=address_data(city_name="Lyon"),
        )
    client = en_client(user)
    params: dict[str, Any] = {
        "email": "jean.dupont@morel.fr",
        "fixed_phone": "01 23 45 67 89",
        "mobile_phone": "06 12 34 56 78",
        "first_name": "Jean",
        "last_name": "Dupond",
        "enterprise_name": "Morel SARL",
        "siren": siren(),
        "city": "Lyon",
    }
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings (the
    # public domains), 4. the user's team ids; then one UNION ALL per table of the reads the
    # rules planned on it: 5. leads (same email, phone, SIREN, enterprise keys, the name
    # windows on each side, same domain), 6. partners (email, phone, SIREN, company name, name
    # windows, domain), 7. contacts (email, phone, their partner's name, domain).
    with django_assert_num_queries(7):
        response = client.get(URL.format("lead"), params)
    assert "similar name" in response.content.decode()
    for i in range(30):
        make_lead(
            user, last_name=f"Dupont {i}", enterprise_name="Morel SARL", email=f"x{i}@morel.fr"
        )
    with django_assert_num_queries(7):
        client.get(URL.format("lead"), params)
    # Editing: the same seven (the converted records left out inside the same queries).
    lead = Lead.objects.filter(company=personas.company).earliest("id")
    with django_assert_num_queries(7):
        client.get(URL.format("lead"), {**params, "exclude": lead.pk})
