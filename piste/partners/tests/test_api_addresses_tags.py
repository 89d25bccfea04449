"""Addresses and tags of partners and contacts through the REST API: read back as the leads API
shows them, written through the services (a PATCH changes only the addresses sent, null removes
one, ``tag_ids`` replaces the tags), another company's tag refused with nothing written, the
pages' access rules unchanged, and lists at a pinned query count whatever the page size."""

from __future__ import annotations

from typing import Any

import pytest

from piste.core.access import actor_for
from piste.core.models import Tag
from piste.core.testing import Personas
from piste.geo.models import Address, City, Country
from piste.partners import services
from piste.partners.models import Contact, Partner
from piste.partners.tests.api_client import ApiClient
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import User

pytestmark = pytest.mark.django_db

PARIS = {"line1": "1 rue de la Paix", "postal_code": "75002", "city_name": "Paris"}
LYON = {"line1": "8 quai Perrache", "postal_code": "69002", "city_name": "Lyon", "country": "FR"}
NO_ADDRESS = {"main_address": None, "invoicing_address": None, "delivery_address": None}


@pytest.fixture
def france() -> Country:
    return Country.objects.get_or_create(
        code="FR", defaults={"name_fr": "France", "name_en": "France"}
    )[0]


@pytest.fixture
def tags(personas: Personas) -> dict[str, Tag]:
    return {
        "hot": Tag.objects.create(company=personas.company, name="Hot"),
        "vip": Tag.objects.create(company=personas.company, name="VIP"),
        "foreign": Tag.objects.create(company=personas.other_company, name="Foreign"),
    }


def _partner(user: User, **kwargs: Any) -> Partner:
    actor = actor_for(user)
    assert actor is not None
    return services.partner_create(
        actor=actor, data={"name": "Boulangerie Morel", "is_prospect": True}, **kwargs
    )


def _address(country: Country | None = None, **text: str) -> dict[str, Any]:
    """An address as the services take it (missing lines are empty)."""
    return {**text, "city": None, "country": country}


# Partners ------------------------------------------------------------------------------------


def test_partner_read_shows_addresses_and_tags(personas, france, tags) -> None:
    partner = _partner(
        personas.salesperson,
        addresses={"main_address": _address(france, **PARIS)},
        tags=[tags["vip"], tags["hot"]],
    )
    body = ApiClient(personas.salesperson).get(f"/partners/{partner.pk}").json()
    assert body["main_address"] == {
        **PARIS,
        "line2": "",
        "line3": "",
        "city_id": None,
        "country": "FR",
    }
    assert body["invoicing_address"] is None and body["delivery_address"] is None
    assert body["tag_ids"] == sorted([tags["hot"].pk, tags["vip"].pk])
    listed = ApiClient(personas.salesperson).get("/partners").json()["items"]
    assert listed[0]["main_address"] == body["main_address"]
    assert listed[0]["tag_ids"] == body["tag_ids"]


def test_partner_create_with_addresses_and_tags(personas, france, tags) -> None:
    response = ApiClient(personas.salesperson).post(
        "/partners",
        {
            "name": "Garage Lenoir",
            "is_prospect": True,
            "main_address": PARIS,
            "delivery_address": LYON,
            "invoicing_address": None,
            "tag_ids": [tags["hot"].pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["main_address"]["line1"] == "1 rue de la Paix"
    assert body["delivery_address"]["country"] == "FR"
    assert body["invoicing_address"] is None
    assert body["tag_ids"] == [tags["hot"].pk]
    assert body["city_name"] == "Paris"  # the list's city follows the main address
    partner = Partner.objects.get(pk=body["id"])
    assert partner.delivery_address is not None
    assert partner.delivery_address.city_name == "Lyon"
    assert list(partner.tags.all()) == [tags["hot"]]


def test_partner_create_with_a_referential_city(personas, france) -> None:
    city = City.objects.create(name="Montreuil", name_key="montreuil", country=france)
    response = ApiClient(personas.salesperson).post(
        "/partners", {"name": "Garage Lenoir", "main_address": {"city_id": city.pk}}
    )
    assert response.status_code == 201, response.content
    address = response.json()["main_address"]
    assert (address["city_id"], address["city_name"], address["country"]) == (
        city.pk,
        "Montreuil",
        "FR",
    )


def test_partner_patch_changes_the_address_sent_and_leaves_the_others(
    personas, france, tags
) -> None:
    partner = _partner(
        personas.salesperson,
        addresses={
            "main_address": _address(france, **PARIS),
            "invoicing_address": _address(line1="BP 12", city_name="Paris"),
            "delivery_address": _address(line1="Quai 3", city_name="Paris"),
        },
        tags=[tags["hot"]],
    )
    invoicing_id = partner.invoicing_address_id
    assert invoicing_id is not None
    api = ApiClient(personas.salesperson)
    response = api.patch(
        f"/partners/{partner.pk}", {"version": partner.version, "main_address": LYON}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["main_address"]["city_name"] == "Lyon"
    assert body["invoicing_address"]["line1"] == "BP 12"
    assert body["delivery_address"]["line1"] == "Quai 3"
    assert body["tag_ids"] == [tags["hot"].pk]  # tag_ids left out: the tags stay
    assert body["city_name"] == "Lyon"

    response = api.patch(
        f"/partners/{partner.pk}",
        {"version": body["version"], "invoicing_address": None, "tag_ids": [tags["vip"].pk]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["invoicing_address"] is None
    assert body["main_address"]["city_name"] == "Lyon"
    assert body["delivery_address"]["line1"] == "Quai 3"
    assert body["tag_ids"] == [tags["vip"].pk]
    assert not Address.objects.filter(pk=invoicing_id).exists()

    response = api.patch(f"/partners/{partner.pk}", {"version": body["version"], "tag_ids": []})
    assert response.status_code == 200, response.content
    assert response.json()["tag_ids"] == []


def test_partner_with_another_company_tag_is_refused_and_nothing_written(personas, tags) -> None:
    partner = _partner(personas.salesperson, tags=[tags["hot"]])
    api = ApiClient(personas.salesperson)
    before = Partner.objects.count()
    created = api.post(
        "/partners", {"name": "X", "main_address": PARIS, "tag_ids": [tags["foreign"].pk]}
    )
    patched = api.patch(
        f"/partners/{partner.pk}",
        {"version": partner.version, "main_address": PARIS, "tag_ids": [tags["foreign"].pk]},
    )
    for response in (created, patched):
        # A refused value, as the leads API and this API's other ids: 400 naming the field.
        assert response.status_code == 400, response.content
        assert str(tags["foreign"].pk) in response.json()["errors"]["tag_ids"][0]
    assert Partner.objects.count() == before
    partner.refresh_from_db()
    assert partner.version == 1
    assert partner.main_address_id is None
    assert list(partner.tags.all()) == [tags["hot"]]
    assert not Address.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("salesperson", 200), ("manager", 200), ("reader", 403), ("outsider", 404), ("other", 404)],
)
def test_partner_access_is_unchanged_by_addresses_and_tags(
    personas, tags, who: str, expected: int
) -> None:
    partner = make_partner(personas.salesperson, name="Boulangerie Morel")
    response = ApiClient(personas.all[who]).patch(
        f"/partners/{partner.pk}",
        {"version": partner.version, "main_address": PARIS, "tag_ids": [tags["hot"].pk]},
    )
    assert response.status_code == expected, response.content
    partner.refresh_from_db()
    assert (partner.main_address_id is not None) == (expected == 200)
    assert partner.tags.exists() == (expected == 200)


@pytest.mark.parametrize("limit", [2, 10])
def test_partner_list_query_count_is_pinned(
    personas, france, tags, django_assert_num_queries, limit: int
) -> None:
    for i in range(12):
        _partner(
            personas.salesperson,
            addresses={
                name: _address(france, line1=f"{i} rue {name}", city_name="Paris")
                for name in services.PARTNER_ADDRESSES
            },
            tags=[tags["hot"], tags["vip"]],
        )
    api = ApiClient(personas.salesperson)
    api.get("/partners")  # the token's last use is written once: not part of the count
    # 1 the token and its user, 2 the memberships (actor), 3 the teams (actor), 4 the page with
    # its three addresses and their countries joined, 5 the page's tags.
    with django_assert_num_queries(5):
        response = api.get("/partners", {"limit": limit})
    items = response.json()["items"]
    assert len(items) == limit
    assert all(row["delivery_address"]["country"] == "FR" for row in items)
    assert all(len(row["tag_ids"]) == 2 for row in items)


# Contacts ------------------------------------------------------------------------------------


def _contact(user: User, partner: Partner, **kwargs: Any) -> Contact:
    actor = actor_for(user)
    assert actor is not None
    return services.contact_create(
        actor=actor, partner=partner, data={"last_name": "Martin"}, **kwargs
    )


def test_contact_read_shows_address_and_tags(personas, france, tags) -> None:
    partner = make_partner(personas.salesperson)
    contact = _contact(
        personas.salesperson, partner, address=_address(france, **PARIS), tags=[tags["vip"]]
    )
    api = ApiClient(personas.salesperson)
    body = api.get(f"/contacts/{contact.pk}").json()
    assert body["address"]["line1"] == "1 rue de la Paix"
    assert body["address"]["country"] == "FR"
    assert body["tag_ids"] == [tags["vip"].pk]
    listed = api.get("/contacts").json()["items"]
    assert listed[0]["address"] == body["address"] and listed[0]["tag_ids"] == body["tag_ids"]


def test_contact_create_and_patch_address_and_tags(personas, france, tags) -> None:
    partner = make_partner(personas.salesperson)
    api = ApiClient(personas.salesperson)
    created = api.post(
        "/contacts",
        {
            "main_partner": partner.pk,
            "last_name": "Bernard",
            "address": PARIS,
            "tag_ids": [tags["hot"].pk, tags["vip"].pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["address"]["city_name"] == "Paris"
    assert body["tag_ids"] == sorted([tags["hot"].pk, tags["vip"].pk])

    # Fields left out change nothing.
    response = api.patch(f"/contacts/{body['id']}", {"version": body["version"], "email": "b@x.fr"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["address"]["city_name"] == "Paris" and len(body["tag_ids"]) == 2

    response = api.patch(
        f"/contacts/{body['id']}",
        {"version": body["version"], "address": LYON, "tag_ids": [tags["hot"].pk]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["address"]["city_name"] == "Lyon" and body["address"]["country"] == "FR"
    assert body["tag_ids"] == [tags["hot"].pk]

    response = api.patch(f"/contacts/{body['id']}", {"version": body["version"], "address": None})
    assert response.status_code == 200, response.content
    assert response.json()["address"] is None
    assert Contact.objects.get(pk=body["id"]).address_id is None
    assert not Address.objects.exists()


def test_contact_with_another_company_tag_is_refused_and_nothing_written(personas, tags) -> None:
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    api = ApiClient(personas.salesperson)
    created = api.post(
        "/contacts",
        {"main_partner": partner.pk, "last_name": "X", "tag_ids": [tags["foreign"].pk]},
    )
    patched = api.patch(
        f"/contacts/{contact.pk}",
        {"version": contact.version, "address": PARIS, "tag_ids": [tags["foreign"].pk]},
    )
    for response in (created, patched):
        assert response.status_code == 400, response.content
        assert "tag_ids" in response.json()["errors"]
    assert Contact.objects.count() == 1
    contact.refresh_from_db()
    assert contact.version == 1 and contact.address_id is None
    assert not contact.tags.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("salesperson", 200), ("teammate", 200), ("reader", 403), ("outsider", 404), ("other", 404)],
)
def test_contact_access_is_unchanged_by_address_and_tags(
    personas, tags, who: str, expected: int
) -> None:
    contact = make_contact(personas.salesperson, make_partner(personas.salesperson))
    api = ApiClient(personas.all[who])
    assert api.get(f"/contacts/{contact.pk}").status_code == (404 if expected == 404 else 200)
    response = api.patch(
        f"/contacts/{contact.pk}",
        {"version": contact.version, "address": PARIS, "tag_ids": [tags["hot"].pk]},
    )
    assert response.status_code == expected, response.content
    contact.refresh_from_db()
    assert (contact.address_id is not None) == (expected == 200)


@pytest.mark.parametrize("limit", [2, 10])
def test_contact_list_query_count_is_pinned(
    personas, france, tags, django_assert_num_queries, limit: int
) -> None:
    partner = make_partner(personas.salesperson)
    for i in range(12):
        _contact(
            personas.salesperson,
            partner,
            address=_address(france, line1=f"{i} rue Haute", city_name="Paris"),
            tags=[tags["hot"]],
        )
    api = ApiClient(personas.salesperson)
    api.get("/contacts")  # writes the token's last use once
    # 1 the token and its user, 2 the memberships, 3 the teams (actor), 4 the page with its
    # address and country joined, 5 the page's tags.
    with django_assert_num_queries(5):
        response = api.get("/contacts", {"limit": limit})
    items = response.json()["items"]
    assert len(items) == limit
    assert all(row["address"]["country"] == "FR" and row["tag_ids"] for row in items)


# Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"main_address": {"country": "ZZ"}},
        {"main_address": {"country": "F\x00"}},
        {"main_address": {"line1": "x" * 201}},
        {"main_address": {"postal_code": "1" * 21}},
        {"main_address": {"city_id": 2**40}},
        {"main_address": {"city_id": 2**70}},
        {"main_address": {"unknown": 1}},
        {"main_address": "1 rue de la Paix"},
        {"main_address": [PARIS]},
        {"delivery_address": {"line1": 12}},
        {"tag_ids": list(range(1, 10_001))},
        {"tag_ids": [2**40]},
        {"tag_ids": [2**70]},
        {"tag_ids": [0]},
        {"tag_ids": "1,2"},
        {"tag_ids": [None]},
        {"tag_ids": {"id": 1}},
    ],
)
def test_bad_addresses_and_tags_are_clear_json_errors_never_a_500(personas, body) -> None:
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    api = ApiClient(personas.salesperson)
    contact_body = {
        ("address" if name.endswith("_address") else name): value for name, value in body.items()
    }
    responses = [
        api.post("/partners", {"name": "X", **body}),
        api.patch(f"/partners/{partner.pk}", {"version": partner.version, **body}),
        api.post("/contacts", {"main_partner": partner.pk, "last_name": "X", **contact_body}),
        api.patch(f"/contacts/{contact.pk}", {"version": contact.version, **contact_body}),
    ]
    for response in responses:
        assert response.status_code in (400, 422), (response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
    assert Partner.objects.count() == 1 and Contact.objects.count() == 1
    assert not Address.objects.exists()


def test_unknown_country_names_the_address(personas) -> None:
    response = ApiClient(personas.salesperson).post(
        "/partners", {"name": "X", **NO_ADDRESS, "invoicing_address": {"country": "ZZ"}}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["invoicing_address"]
