"""The partner and contact pages: create, edit in place, validate, rights, delete, quick links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from piste.core.testing import en_client
from piste.partners.models import Contact, Partner
from piste.partners.tests.factories import make_contact, make_partner


def partner_post(**values):
    data = {"partner_type": "organisation", "name": "Alpha Conseil", "is_prospect": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_salesperson_never_sees_the_customer_option(personas):
    client = en_client(personas.salesperson)
    accounts = client.get("/accounts/").content.decode()
    assert 'data-testid="new-prospect"' in accounts and 'data-testid="new-customer"' not in accounts
    form = client.get("/partners/new/?type=customer").content.decode()
    assert 'name="is_customer"' not in form
    # A crafted POST is refused too, next to nothing: the field is not there, nothing is created.
    client.post("/partners/new/", partner_post(is_customer="on"))
    assert not Partner.objects.filter(is_customer=True).exists()


def test_manager_creates_a_customer(personas):
    client = en_client(personas.manager)
    assert b'data-testid="new-customer"' in client.get("/accounts/").content
    assert b'name="is_customer"' in client.get("/partners/new/?type=customer").content
    response = client.post("/partners/new/", partner_post(is_customer="on", is_prospect=None))
    partner = Partner.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/partners/{partner.pk}/"
    assert partner.is_customer and not partner.is_prospect


def test_prospect_is_created_as_a_draft_and_validated_from_actions(personas):
    client = en_client(personas.salesperson)
    response = client.post(
        "/partners/new/",
        partner_post(
            siret="732 829 320 00074",
            **{
                "main_address-line1": "8 rue de Londres",
                "main_address-postal_code": "75009",
                "main_address-city_name": "Paris",
            },
        ),
    )
    partner = Partner.objects.get()
    assert response.status_code == 302
    assert partner.siren == "732829320" and partner.main_address.line1 == "8 rue de Londres"
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "Draft prospect" in page and 'data-testid="validate-prospect"' not in page
    assert client.post(f"/partners/{partner.pk}/validate/").status_code == 403
    manager = en_client(personas.manager)
    assert (
        'data-testid="validate-prospect"'
        in manager.get(f"/partners/{partner.pk}/").content.decode()
    )
    manager.post(f"/partners/{partner.pk}/validate/")
    page = manager.get(f"/partners/{partner.pk}/").content.decode()
    assert "Validated prospect" in page and "validated by Manager Test" in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "This field is required."),
        ({"email": "jean@"}, "email", None),
        ({"siren": "123456789"}, "siren", None),
        ({"siret": "1234"}, "siret", None),
        ({"vat_number": "FR00123456789"}, "vat_number", None),
        ({"fixed_phone": "+33 1"}, "fixed_phone", None),
        ({"scoring": "9"}, "scoring", None),
        ({"parent": "999999"}, "parent", None),
        ({"closed_on": "2026-02-31"}, "closed_on", None),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_created(
    personas, values, field, message
):
    response = en_client(personas.salesperson).post("/partners/new/", partner_post(**values))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in page
    if message:
        assert message in page
    assert 'value="Alpha Conseil"' in page or field == "name"
    assert not Partner.objects.exists()


def test_the_left_column_saves_in_place_and_refuses_a_stale_version(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    client = en_client(personas.salesperson)
    saved = client.post(f"/partners/{partner.pk}/", partner_post(name="Beta", version="1"))
    assert saved.status_code == 302
    stale = client.post(f"/partners/{partner.pk}/", partner_post(name="Gamma", version="1"))
    page = stale.content.decode()
    assert "Someone else saved this record" in page and 'value="Gamma"' in page
    assert Partner.objects.get().name == "Beta"
    assert 'name="version" value="2"' in page  # saving again knowingly keeps the typed values


def test_reader_sees_the_fields_read_only(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    client = en_client(personas.reader)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert "<fieldset disabled>" in page and 'data-testid="save"' not in page
    assert client.post(f"/partners/{partner.pk}/", partner_post(version="1")).status_code == 403
    assert Partner.objects.get().name == "Alpha"


def test_header_offers_call_and_mail_links(personas):
    partner = make_partner(
        personas.salesperson, fixed_phone="01 23 45 67 89", email="contact@alpha.fr"
    )
    contact = make_contact(
        personas.salesperson, partner, fixed_phone="06 12 34 56 78", email="jean@alpha.fr"
    )
    client = en_client(personas.salesperson)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert 'href="tel:+33123456789"' in page and 'href="mailto:contact@alpha.fr"' in page
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert 'href="tel:+33612345678"' in page and 'href="mailto:jean@alpha.fr"' in page


def test_contact_is_created_from_its_partners_page(personas):
    partner = make_partner(personas.salesperson)
    client = en_client(personas.salesperson)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert f'href="/contacts/new/?partner={partner.pk}"' in page
    response = client.post(
        f"/contacts/new/?partner={partner.pk}",
        {"last_name": "Dupont", "first_name": "Jean", "assigned_to": personas.salesperson.pk},
    )
    assert response.status_code == 302 and response["Location"] == f"/partners/{partner.pk}/"
    contact = Contact.objects.get()
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    assert f'href="/contacts/{contact.pk}/"' in page and "Jean Dupont" in page
    # Contact page links back to its partner.
    assert (
        f'href="/partners/{partner.pk}/"' in client.get(f"/contacts/{contact.pk}/").content.decode()
    )


def test_contact_of_a_partner_out_of_reach_is_a_404(personas):
    foreign = make_partner(personas.other)
    client = en_client(personas.salesperson)
    assert client.get(f"/contacts/new/?partner={foreign.pk}").status_code == 404
    assert (
        client.post(f"/contacts/new/?partner={foreign.pk}", {"last_name": "X"}).status_code == 404
    )
    assert client.get("/contacts/new/?partner=abc").status_code == 404
    assert not Contact.objects.exists()


def test_delete_confirmation_lists_the_contacts_then_deletes(personas):
    partner = make_partner(personas.manager, name="Alpha")
    make_contact(personas.manager, partner, first_name="Jean", last_name="Dupont")
    client = en_client(personas.manager)
    page = client.get(f"/partners/{partner.pk}/delete/").content.decode()
    assert "Jean Dupont" in page and "definitive" in page
    response = client.post(f"/partners/{partner.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert not Partner.objects.exists() and not Contact.objects.exists()


def test_delete_is_refused_with_a_message_where_links_forbid_it(personas):
    parent = make_partner(personas.manager, name="Groupe")
    make_partner(personas.manager, name="Filiale", parent=parent)
    client = en_client(personas.manager)
    page = client.get(f"/partners/{parent.pk}/delete/").content.decode()
    assert 'data-testid="delete-refused"' in page and "Filiale" in page
    assert 'data-testid="confirm-delete"' not in page
    assert client.post(f"/partners/{parent.pk}/delete/").status_code == 409
    assert Partner.objects.count() == 2


def test_delete_needs_the_right(personas):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    client = en_client(personas.salesperson)
    assert client.get(f"/partners/{partner.pk}/delete/").status_code == 403
    assert client.post(f"/contacts/{contact.pk}/delete/").status_code == 403
    assert Contact.objects.exists()


@pytest.mark.parametrize("user", ["other", "outsider"])
def test_partner_and_contact_out_of_reach_are_404(personas, user):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    client = en_client(getattr(personas, user))
    for url in (
        f"/partners/{partner.pk}/",
        f"/partners/{partner.pk}/delete/",
        f"/partners/{partner.pk}/logo/",
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/delete/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/partners/{partner.pk}/validate/").status_code == 404


def test_partner_page_query_count_is_pinned(personas):
    partner = make_partner(personas.salesperson, team=personas.north)
    for n in range(5):
        make_contact(personas.salesperson, partner, last_name=f"Contact {n}")
    client = en_client(personas.salesperson)
    client.get(f"/partners/{partner.pk}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/partners/{partner.pk}/")
    assert response.status_code == 200
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the partner with its owner,
    # validator and addresses, 6 its tags (the form's initial value, also the header's badges),
    # 7 the tags offered, 8 the parent companies offered, 9 the company's form layout, 10-11 its
    # contacts (its own, those also attached), then the choices of the selects in page order:
    # 12 categories, industry sectors, teams and sources (one query), 13 countries (the main
    # address block: the empty invoicing and delivery blocks are buttons), 14 users, 15 its last
    # and next event dates. The orders, the timeline, the events, emails and documents are read
    # when their tabs are opened.
    assert len(queries) == 15, "\n".join(q["sql"] for q in queries)
    assert response.content.decode().count('data-testid="contact-row"') == 5


def test_the_activity_tab_reads_the_timeline_when_opened(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    client = en_client(personas.salesperson)
    page = client.get(f"/partners/{partner.pk}/").content.decode()
    # The page names where the tab reads from, and holds no entry itself.
    assert f'hx-get="/partners/{partner.pk}/?before="' in page
    assert 'data-testid="activity"' not in page
    tab = client.get(f"/partners/{partner.pk}/", {"before": ""}, headers={"HX-Request": "true"})
    assert tab.status_code == 200
    entries = tab.content.decode()
    assert entries.count('data-testid="activity"') == 1 and "created" in entries
    assert "<html" not in entries


def test_an_existing_contact_is_attached_to_another_partner_and_detached(personas):
    alpha = make_partner(personas.manager, name="Alpha")
    beta = make_partner(personas.manager, name="Beta")
    contact = make_contact(personas.manager, alpha, first_name="Jean", last_name="Dupont")
    client = en_client(personas.manager)
    found = client.get(f"/partners/{beta.pk}/contacts/", {"q": "dup"}).content.decode()
    assert "Jean <mark>Dup</mark>ont" in found and 'data-testid="attach"' in found
    response = client.post(f"/partners/{beta.pk}/contacts/", {"contact": contact.pk})
    assert response.status_code == 302
    assert list(contact.other_partners.all()) == [beta]
    page = client.get(f"/partners/{beta.pk}/").content.decode()
    assert "Jean Dupont" in page and 'data-testid="detach"' in page
    assert "Beta" in client.get(f"/contacts/{contact.pk}/").content.decode()
    client.post(f"/partners/{beta.pk}/contacts/", {"contact": contact.pk, "detach": "1"})
    assert not contact.other_partners.exists()
    # Its own company: refused with a message, nothing changes.
    client.post(f"/partners/{alpha.pk}/contacts/", {"contact": contact.pk})
    assert not contact.other_partners.exists()


def test_attaching_needs_the_change_right_and_reach(personas):
    alpha = make_partner(personas.salesperson, name="Alpha")
    contact = make_contact(personas.salesperson, alpha)
    foreign = make_contact(personas.other, make_partner(personas.other))
    reader = en_client(personas.reader)
    assert (
        reader.post(f"/partners/{alpha.pk}/contacts/", {"contact": contact.pk}).status_code == 403
    )
    client = en_client(personas.salesperson)
    beta = make_partner(personas.salesperson, name="Beta")
    assert client.post(f"/partners/{beta.pk}/contacts/", {"contact": foreign.pk}).status_code == 404
    assert client.post(f"/partners/{beta.pk}/contacts/", {"contact": "x"}).status_code == 404
    assert not contact.other_partners.exists() and not foreign.other_partners.exists()


# Who sees, changes and deletes a partner created by the salesperson in the north team:
# (sees, may change, may delete).
MATRIX = {
    "administrator": (True, True, True),
    "manager": (True, True, True),
    "salesperson": (True, True, False),
    "teammate": (True, True, False),
    "outsider": (False, False, False),
    "marketing": (True, True, False),
    "reader": (True, False, False),
    "other": (False, False, False),
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_persona_matrix(personas, persona):
    sees, changes, deletes = MATRIX[persona]
    partner = make_partner(personas.salesperson, name="Alpha", team=personas.north)
    contact = make_contact(personas.salesperson, partner)
    client = en_client(getattr(personas, persona))
    page = client.get(f"/partners/{partner.pk}/")
    assert page.status_code == (200 if sees else 404)
    assert client.get(f"/contacts/{contact.pk}/").status_code == (200 if sees else 404)
    if sees:
        assert ('data-testid="save"' in page.content.decode()) is changes
    saved = client.post(f"/partners/{partner.pk}/", partner_post(name="Renamed", version="1"))
    assert saved.status_code == (302 if changes else 403 if sees else 404)
    deleted = client.post(f"/contacts/{contact.pk}/delete/")
    assert deleted.status_code == (302 if deletes else 403 if sees else 404)
    assert Contact.objects.exists() is not deletes


def test_contact_page_query_count(personas):
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner, first_name="Jean")
    client = en_client(personas.salesperson)
    client.get(f"/contacts/{contact.pk}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/contacts/{contact.pk}/")
    assert response.status_code == 200
    # 1 session, 2 user, 3 memberships, 4 the actor's teams, 5 the contact with its partner and
    # relations, 6 its tags (the form's initial value), 7 the tags offered, 8 the form layout,
    # 9 the leads converted into it (their history shows on its timeline), 10 one page of
    # timeline, 11 its other companies, then the selects' choices: 12 job titles, departments
    # and teams (one query), 13 countries (address), 14 users.
    assert len(queries) == 14, "\n".join(q["sql"] for q in queries)
