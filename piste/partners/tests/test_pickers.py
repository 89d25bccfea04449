"""The partner form's pickers and optional blocks: the parent-company search
(``/partners/choices/``), the invoicing and delivery address blocks drawn on demand
(``/partners/address-block/``) and what a save keeps of the blocks it did not send."""

from __future__ import annotations

import json
import re
from typing import cast

import pytest
from django.test import Client

from piste.core.access import actor_for, require_actor
from piste.core.models import Tag
from piste.core.selectors import CHOICES
from piste.core.testing import en_client
from piste.geo.models import Address
from piste.partners import services
from piste.partners.models import Partner
from piste.partners.tests.factories import make_partner
from piste.partners.tests.test_pages import partner_post
from piste.users.models import Membership

CHOICES_URL = "/partners/choices/"
BLOCK_URL = "/partners/address-block/"


def body(response) -> str:
    return response.content.decode()


def results(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/json")
    payload = json.loads(response.content)
    assert set(payload) == {"results"}
    return payload["results"]


def texts(response) -> list[str]:
    return [row["text"] for row in results(response)]


def org(user, name: str, **data) -> Partner:
    return make_partner(user, name=name, partner_type="organisation", **data)


def select_tag(page: str, name: str) -> str:
    """The opening tag of the select named ``name``."""
    found = re.findall(rf'<select[^>]*\bname="{name}"[^>]*>', page)
    assert len(found) == 1, found
    return found[0]


def select_options(page: str, name: str) -> list[str]:
    """The values of the options of the select named ``name``."""
    match = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, name
    return re.findall(r'<option value="([^"]*)"', match.group(1))


INVOICING = {
    "line1": "12 rue des Factures",
    "postal_code": "69002",
    "city_name": "Lyon",
}


def with_invoicing(user, name: str = "Alpha", **address) -> Partner:
    """A partner created with an invoicing address and no delivery address."""
    actor = actor_for(user)
    assert actor is not None
    return services.partner_create(
        actor=actor,
        data={"name": name, "partner_type": "organisation", "is_prospect": True},
        addresses={"invoicing_address": {**INVOICING, **address}},
    )


def block_post(name: str, **values: str) -> dict[str, str]:
    return {f"{name}-{k}": v for k, v in values.items()}


# a) The parent-company search ------------------------------------------------------------------


@pytest.fixture
def book(personas):
    """Organisations and individuals named alike, across teams, companies and closed accounts."""
    personas.salesperson.active_team = personas.north
    personas.salesperson.save(update_fields=["active_team"])
    personas.outsider.active_team = personas.south
    personas.outsider.save(update_fields=["active_team"])
    org(personas.salesperson, "Dupont Nord")
    org(personas.salesperson, "Élagage Dupuis")  # alt key "dupuis"
    org(personas.salesperson, "Ardupo SA")  # "dup" inside, never at a word's start
    make_partner(personas.salesperson, partner_type="individual", name="Dupond", first_name="Jean")
    org(personas.outsider, "Dupré Sud")
    org(personas.manager, "Durand Fermé", is_closed=True)
    org(personas.other, "Dupin Ailleurs")  # company B
    return personas


def test_signed_out_is_sent_to_sign_in_with_no_data(book):
    response = en_client().get(CHOICES_URL, {"q": "du"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert b"Dupont" not in response.content and b"results" not in response.content


def test_each_row_is_the_partner_id_and_its_name(book):
    dupont = Partner.objects.get(name="Dupont Nord")
    found = results(en_client(book.administrator).get(CHOICES_URL, {"q": "dupont"}))
    assert found == [{"id": dupont.pk, "text": "Dupont Nord"}]


def test_only_organisations_of_the_company_are_offered(book):
    found = texts(en_client(book.administrator).get(CHOICES_URL, {"q": "du"}))
    # Sorted on the name that matched: "dupont nord", "dupre sud", "dupuis" (of Élagage
    # Dupuis), "durand ferme". Never the individual, nor company B's organisation.
    assert found == ["Dupont Nord", "Dupré Sud", "Élagage Dupuis", "Durand Fermé"]


def test_the_other_company_sees_its_own_organisations_only(book):
    assert texts(en_client(book.other).get(CHOICES_URL, {"q": "du"})) == ["Dupin Ailleurs"]
    assert texts(en_client(book.other).get(CHOICES_URL)) == ["Dupin Ailleurs"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        # Whole company, with the right to see closed accounts.
        ("administrator", ["Dupont Nord", "Dupré Sud", "Élagage Dupuis", "Durand Fermé"]),
        ("manager", ["Dupont Nord", "Dupré Sud", "Élagage Dupuis", "Durand Fermé"]),
        # Whole company, closed accounts hidden.
        ("marketing", ["Dupont Nord", "Dupré Sud", "Élagage Dupuis"]),
        ("reader", ["Dupont Nord", "Dupré Sud", "Élagage Dupuis"]),
        # North team: their own, their teammates' and their leader's; not the south's, and
        # the closed account the leader owns is hidden without the right.
        ("salesperson", ["Dupont Nord", "Élagage Dupuis"]),
        ("teammate", ["Dupont Nord", "Élagage Dupuis"]),
        # South team: their own only.
        ("outsider", ["Dupré Sud"]),
    ],
)
def test_the_record_scope_and_closed_accounts_narrow_the_choices(book, persona, expected):
    client = en_client(getattr(book, persona))
    assert texts(client.get(CHOICES_URL, {"q": "du"})) == expected
    # Nothing typed: the first ones by name, narrowed the same way ("Ardupo SA" is the
    # salesperson's, like "Dupont Nord").
    everything = [*expected, "Ardupo SA"] if "Dupont Nord" in expected else expected
    assert sorted(texts(client.get(CHOICES_URL))) == sorted(everything)


def test_own_records_scope_hides_the_teammates_organisations(book):
    Membership.objects.filter(user=book.teammate).update(scope="own")
    org(book.teammate, "Dupuy Perso")
    client = en_client(book.teammate)
    assert texts(client.get(CHOICES_URL, {"q": "du"})) == ["Dupuy Perso"]
    assert texts(client.get(CHOICES_URL)) == ["Dupuy Perso"]


@pytest.mark.parametrize("q", ["dup", "DUP", "Dúp", " dup ", "dupont", "DUPONT NORD"])
def test_the_name_start_matches_whatever_the_case_and_accents(book, q):
    assert "Dupont Nord" in texts(en_client(book.administrator).get(CHOICES_URL, {"q": q}))


@pytest.mark.parametrize("q", ["ela", "ÉLA", "élagage d", "dupuis", "DUPUÍS"])
def test_an_organisation_is_found_by_its_first_or_second_word(book, q):
    assert texts(en_client(book.administrator).get(CHOICES_URL, {"q": q})) == ["Élagage Dupuis"]


@pytest.mark.parametrize("q", ["upo", "ont", "ardupo x", "jean", "dupond"])
def test_letters_inside_a_name_or_an_individual_find_nothing(book, q):
    assert texts(en_client(book.administrator).get(CHOICES_URL, {"q": q})) == []


def test_nothing_typed_gives_the_first_organisations_by_name(book):
    assert texts(en_client(book.administrator).get(CHOICES_URL, {"q": "  "})) == [
        "Ardupo SA",
        "Dupont Nord",
        "Dupré Sud",
        "Durand Fermé",
        "Élagage Dupuis",
    ]


def test_at_most_choices_rows_are_answered(personas):
    for n in range(CHOICES + 5):
        org(personas.manager, f"Org {n:02d}")
    client = en_client(personas.manager)
    first = [f"Org {n:02d}" for n in range(CHOICES)]
    assert texts(client.get(CHOICES_URL)) == first
    assert texts(client.get(CHOICES_URL, {"q": "org"})) == first


def test_exclude_removes_the_partner_being_edited(book):
    dupont = Partner.objects.get(name="Dupont Nord")
    client = en_client(book.administrator)
    found = texts(client.get(CHOICES_URL, {"q": "du", "exclude": str(dupont.pk)}))
    assert found == ["Dupré Sud", "Élagage Dupuis", "Durand Fermé"]
    assert "Dupont Nord" not in texts(client.get(CHOICES_URL, {"exclude": dupont.pk}))


@pytest.mark.parametrize(
    "exclude", ["", "abc", "-1", "1.5", " 1", "9" * 18, "9" * 19, "9" * 40, "\x00", "²"]
)
def test_malformed_exclude_is_ignored_never_an_error(book, exclude):
    found = texts(en_client(book.administrator).get(CHOICES_URL, {"q": "du", "exclude": exclude}))
    assert found == ["Dupont Nord", "Dupré Sud", "Élagage Dupuis", "Durand Fermé"]


@pytest.mark.parametrize(
    "q",
    [
        "d" * 5000,
        "\x00",
        "du\x00",
        "\x00" * 300,
        "\x01\x02\x1b[31m\x7f",
        "\ufdfa" * 100,
        "\U0010ffff",
        "%",
        "_u%",
        "'; DROP TABLE partners_partner; --",
    ],
)
def test_malformed_q_answers_json_never_an_error(book, q):
    found = results(en_client(book.administrator).get(CHOICES_URL, {"q": q}))
    assert all(set(row) == {"id", "text"} for row in found)
    assert "Dupin Ailleurs" not in [row["text"] for row in found]
    assert "Dupond" not in " ".join(row["text"] for row in found)


@pytest.mark.parametrize("raw", ["q=%ff%fe", "q=%ED%A0%80du", "q=du%00", "exclude=%ff&q=du"])
def test_malformed_query_strings_answer_json(book, raw):
    results(en_client(book.administrator).get(f"{CHOICES_URL}?{raw}"))


def test_the_search_is_get_only(book):
    assert en_client(book.administrator).post(CHOICES_URL, {"q": "du"}).status_code == 405


# b) The invoicing and delivery blocks, drawn on demand ----------------------------------------


def test_a_partner_without_them_shows_buttons_that_fetch_the_blocks(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    page = body(en_client(personas.salesperson).get(f"/partners/{partner.pk}/"))
    assert 'name="main_address-line1"' in page
    for name in ("invoicing_address", "delivery_address"):
        button = re.search(rf'<button[^>]*data-testid="add-{name}"[^>]*>', page)
        assert button, name
        assert f'hx-get="/partners/address-block/?name={name}"' in button.group(0)
        assert f'name="{name}-line1"' not in page
        assert f'name="{name}-postal_code"' not in page


def test_a_partner_with_an_invoicing_address_shows_that_block_filled(personas):
    partner = with_invoicing(personas.salesperson)
    page = body(en_client(personas.salesperson).get(f"/partners/{partner.pk}/"))
    line1 = re.search(r'<input[^>]*name="invoicing_address-line1"[^>]*>', page)
    assert line1 and 'value="12 rue des Factures"' in line1.group(0)
    assert 'data-testid="add-invoicing_address"' not in page
    # The delivery address it has not is still a button.
    assert 'data-testid="add-delivery_address"' in page
    assert 'name="delivery_address-line1"' not in page


def test_a_partner_with_a_delivery_address_shows_that_block_only(personas):
    actor = require_actor(personas.salesperson)
    partner = services.partner_create(
        actor=actor,
        data={"name": "Alpha", "partner_type": "organisation", "is_prospect": True},
        addresses={"delivery_address": {"line1": "3 quai des Livraisons", "city_name": "Nantes"}},
    )
    page = body(en_client(personas.salesperson).get(f"/partners/{partner.pk}/"))
    assert 'name="delivery_address-line1"' in page and "3 quai des Livraisons" in page
    assert 'data-testid="add-delivery_address"' not in page
    assert 'data-testid="add-invoicing_address"' in page


def test_the_new_partner_page_shows_the_buttons_too(personas):
    page = body(en_client(personas.salesperson).get("/partners/new/"))
    assert 'name="main_address-line1"' in page
    assert 'data-testid="add-invoicing_address"' in page
    assert 'data-testid="add-delivery_address"' in page
    assert 'name="invoicing_address-line1"' not in page


@pytest.mark.parametrize("name", ["invoicing_address", "delivery_address"])
def test_the_block_endpoint_draws_an_empty_block(personas, name):
    response = en_client(personas.salesperson).get(BLOCK_URL, {"name": name})
    assert response.status_code == 200
    html = body(response)
    for field in ("line1", "line2", "line3", "postal_code", "city_name", "city"):
        inputs = re.findall(rf'<input[^>]*name="{name}-{field}"[^>]*>', html)
        assert len(inputs) == 1, field
        assert not re.search(r'value="[^"]+"', inputs[0]), inputs[0]
    assert f'name="{name}-country"' in html
    assert 'data-testid="add-' not in html
    for other in {"invoicing_address", "delivery_address", "main_address"} - {name}:
        assert f'name="{other}-' not in html


@pytest.mark.parametrize("name", ["main_address", "x", "", "invoicing_address-line1", "\x00"])
def test_the_block_endpoint_refuses_other_names(personas, name):
    assert en_client(personas.salesperson).get(BLOCK_URL, {"name": name}).status_code == 404


def test_the_block_endpoint_without_a_name_is_a_404(personas):
    assert en_client(personas.salesperson).get(BLOCK_URL).status_code == 404


def test_the_block_endpoint_needs_a_signed_in_user(personas):
    response = en_client().get(BLOCK_URL, {"name": "invoicing_address"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert b"invoicing_address-line1" not in response.content


# c) What a save keeps ---------------------------------------------------------------------------


def test_a_save_without_the_invoicing_block_keeps_the_invoicing_address(personas):
    partner = with_invoicing(personas.salesperson)
    address_pk = partner.invoicing_address_id
    client = en_client(personas.salesperson)
    response = client.post(f"/partners/{partner.pk}/", partner_post(name="Renamed", version="1"))
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "Renamed"
    assert partner.invoicing_address_id == address_pk
    address = Address.objects.get(pk=cast(int, address_pk))
    assert (address.line1, address.postal_code, address.city_name) == (
        "12 rue des Factures",
        "69002",
        "Lyon",
    )
    assert partner.delivery_address_id is None


def test_a_save_with_the_invoicing_block_updates_it(personas):
    partner = with_invoicing(personas.salesperson)
    client = en_client(personas.salesperson)
    data = partner_post(
        version="1",
        **block_post(
            "invoicing_address",
            line1="1 place Bellecour",
            postal_code="69002",
            city_name="Lyon",
            country="FR",
        ),
    )
    assert client.post(f"/partners/{partner.pk}/", data).status_code == 302
    partner.refresh_from_db()
    assert partner.invoicing_address.line1 == "1 place Bellecour"
    assert partner.invoicing_address.country.code == "FR"
    assert partner.delivery_address_id is None
    page = body(client.get(f"/partners/{partner.pk}/"))
    assert 'value="1 place Bellecour"' in page


def test_a_save_with_the_invoicing_block_emptied_removes_it(personas):
    partner = with_invoicing(personas.salesperson)
    address_pk = partner.invoicing_address_id
    data = partner_post(
        version="1",
        **block_post("invoicing_address", line1="", postal_code="", city_name="", country="FR"),
    )
    assert en_client(personas.salesperson).post(f"/partners/{partner.pk}/", data).status_code == 302
    partner.refresh_from_db()
    assert partner.invoicing_address_id is None
    assert not Address.objects.filter(pk=cast(int, address_pk)).exists()


def test_a_save_that_sends_the_delivery_block_adds_it_and_keeps_the_invoicing_one(personas):
    partner = with_invoicing(personas.salesperson)
    data = partner_post(
        version="1",
        **block_post("delivery_address", line1="3 quai des Livraisons", city_name="Nantes"),
    )
    assert en_client(personas.salesperson).post(f"/partners/{partner.pk}/", data).status_code == 302
    partner.refresh_from_db()
    assert partner.delivery_address.line1 == "3 quai des Livraisons"
    assert partner.invoicing_address.line1 == "12 rue des Factures"


def test_a_new_partner_gets_the_invoicing_address_posted(personas):
    client = en_client(personas.salesperson)
    data = partner_post(
        name="Gamma",
        **block_post(
            "main_address", line1="8 rue de Londres", postal_code="75009", city_name="Paris"
        ),
        **block_post(
            "invoicing_address",
            line1="12 rue des Factures",
            postal_code="69002",
            city_name="Lyon",
            country="FR",
        ),
    )
    response = client.post("/partners/new/", data)
    partner = Partner.objects.get(name="Gamma")
    assert response.status_code == 302 and response["Location"] == f"/partners/{partner.pk}/"
    assert partner.main_address.line1 == "8 rue de Londres"
    assert partner.invoicing_address.line1 == "12 rue des Factures"
    assert partner.invoicing_address.city_name == "Lyon"
    assert partner.delivery_address_id is None
    assert partner.invoicing_address_id != partner.main_address_id


def test_a_new_partner_without_the_blocks_has_no_such_addresses(personas):
    response = en_client(personas.salesperson).post("/partners/new/", partner_post(name="Delta"))
    assert response.status_code == 302
    partner = Partner.objects.get(name="Delta")
    assert partner.invoicing_address_id is None and partner.delivery_address_id is None


def test_a_refused_save_keeps_the_sent_block_drawn_with_its_values(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    data = partner_post(
        name=" ",
        version="1",
        **block_post("invoicing_address", line1="12 rue des Factures", city_name="Lyon"),
    )
    response = en_client(personas.salesperson).post(f"/partners/{partner.pk}/", data)
    page = body(response)
    assert response.status_code == 200 and 'data-testid="error-name"' in page
    line1 = re.search(r'<input[^>]*name="invoicing_address-line1"[^>]*>', page)
    assert line1 and 'value="12 rue des Factures"' in line1.group(0)
    assert 'data-testid="add-invoicing_address"' not in page
    partner.refresh_from_db()
    assert partner.invoicing_address_id is None and partner.name == "Alpha"


# d) The pickers in the form ----------------------------------------------------------------------


def test_the_parent_and_tags_selects_search_their_endpoints(personas):
    partner = make_partner(personas.salesperson, name="Alpha")
    page = body(en_client(personas.salesperson).get(f"/partners/{partner.pk}/"))
    assert f'data-choices-url="/partners/choices/?exclude={partner.pk}"' in select_tag(
        page, "parent"
    )
    assert 'data-choices-url="/choices/tags/"' in select_tag(page, "tags")
    # What the search box says when nothing matches and when the search fails, in French too.
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(personas.salesperson)
    french = body(client.get(f"/partners/{partner.pk}/"))
    tags = select_tag(french, "tags")
    assert 'data-choices-none="Aucun résultat."' in tags
    assert 'data-choices-error="La recherche a échoué : réessayez."' in tags


def test_the_new_partner_form_excludes_nobody(personas):
    page = body(en_client(personas.salesperson).get("/partners/new/"))
    assert 'data-choices-url="/partners/choices/"' in select_tag(page, "parent")
    assert 'data-choices-url="/choices/tags/"' in select_tag(page, "tags")


def test_the_parent_select_never_offers_the_partner_itself(personas):
    partner = org(personas.salesperson, "Alpha")
    other = org(personas.salesperson, "Beta")
    page = body(en_client(personas.salesperson).get(f"/partners/{partner.pk}/"))
    offered = select_options(page, "parent")
    assert str(other.pk) in offered and str(partner.pk) not in offered


@pytest.fixture
def many_orgs(personas):
    return [org(personas.manager, f"Org {n:02d}") for n in range(CHOICES + 5)]


def test_the_parent_select_offers_the_first_organisations_only(personas, many_orgs):
    page = body(en_client(personas.manager).get("/partners/new/"))
    offered = select_options(page, "parent")
    assert offered == ["", *(str(p.pk) for p in many_orgs[:CHOICES])]


def test_a_parent_past_the_offered_ones_validates_on_create(personas, many_orgs):
    far = many_orgs[-1]
    client = en_client(personas.manager)
    assert str(far.pk) not in select_options(body(client.get("/partners/new/")), "parent")
    # The search finds it.
    assert results(client.get(CHOICES_URL, {"q": far.name})) == [{"id": far.pk, "text": far.name}]
    response = client.post("/partners/new/", partner_post(name="Filiale", parent=str(far.pk)))
    assert response.status_code == 302
    assert Partner.objects.get(name="Filiale").parent_id == far.pk


def test_a_parent_past_the_offered_ones_validates_on_edit_and_stays_offered(personas, many_orgs):
    far = many_orgs[-1]
    partner = make_partner(personas.manager, name="Filiale")
    client = en_client(personas.manager)
    response = client.post(
        f"/partners/{partner.pk}/", partner_post(name="Filiale", version="1", parent=str(far.pk))
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.parent_id == far.pk
    page = body(client.get(f"/partners/{partner.pk}/"))
    offered = select_options(page, "parent")
    assert str(far.pk) in offered
    assert re.search(rf'<option value="{far.pk}" selected>Org {CHOICES + 4:02d}</option>', page)


def test_a_tag_past_the_offered_ones_validates(personas):
    tags = [Tag.objects.create(company=personas.company, name=f"Tag {n:02d}") for n in range(25)]
    partner = make_partner(personas.salesperson, name="Alpha")
    client = en_client(personas.salesperson)
    page = body(client.get(f"/partners/{partner.pk}/"))
    assert str(tags[-1].pk) not in select_options(page, "tags")
    data = partner_post(version="1", tags=[str(tags[-1].pk)])
    assert client.post(f"/partners/{partner.pk}/", data).status_code == 302
    assert list(partner.tags.all()) == [tags[-1]]


@pytest.mark.parametrize(
    "parent", ["self", "individual", "foreign", "abc", "-1", "9" * 40, "\x00", "²"]
)
def test_a_parent_out_of_the_company_organisations_is_refused_never_an_error(personas, parent):
    partner = org(personas.manager, "Alpha")
    values = {
        "self": str(partner.pk),
        "individual": str(
            make_partner(personas.manager, partner_type="individual", name="Dupond").pk
        ),
        "foreign": str(org(personas.other, "Ailleurs").pk),
    }
    response = en_client(personas.manager).post(
        f"/partners/{partner.pk}/",
        partner_post(name="Alpha", version="1", parent=values.get(parent, parent)),
    )
    assert response.status_code == 200
    assert 'data-testid="error-parent"' in body(response)
    partner.refresh_from_db()
    assert partner.parent_id is None and partner.version == 1


@pytest.mark.parametrize("value", ["foreign", "abc", "-1", "9" * 40, "\x00", "²"])
def test_a_tag_out_of_the_company_tags_is_refused_never_an_error(personas, value):
    foreign = Tag.objects.create(company=personas.other_company, name="Ailleurs")
    partner = make_partner(personas.salesperson, name="Alpha")
    tag = str(foreign.pk) if value == "foreign" else value
    response = en_client(personas.salesperson).post(
        f"/partners/{partner.pk}/", partner_post(version="1", tags=[tag])
    )
    assert response.status_code == 200
    assert 'data-testid="error-tags"' in body(response)
    partner.refresh_from_db()
    assert not partner.tags.exists() and partner.version == 1
