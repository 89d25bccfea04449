"""The contact endpoints of the REST API: access per persona, ids checked, pinned list."""

from __future__ import annotations

import pytest

from piste.core.testing import Personas
from piste.partners.models import Contact, JobTitle
from piste.partners.tests.api_client import ApiClient
from piste.partners.tests.factories import make_contact, make_partner

pytestmark = pytest.mark.django_db

SEES = {
    "administrator": True,
    "manager": True,
    "salesperson": True,
    "teammate": True,
    "outsider": False,
    "marketing": True,
    "reader": True,
    "other": False,
}
CHANGES = {"administrator", "manager", "salesperson", "teammate", "marketing"}
DELETES = {"administrator", "manager"}


@pytest.fixture
def contact(personas: Personas) -> Contact:
    partner = make_partner(personas.salesperson, name="Morel")
    return make_contact(personas.salesperson, partner, last_name="Martin", email="j@morel.fr")


@pytest.mark.parametrize("who", list(SEES))
def test_read_update_delete_per_persona(personas: Personas, contact: Contact, who: str) -> None:
    api = ApiClient(personas.all[who])
    read = api.get(f"/contacts/{contact.pk}")
    assert read.status_code == (200 if SEES[who] else 404)
    listed = {row["id"] for row in api.get("/contacts").json()["items"]}
    assert (contact.pk in listed) == SEES[who]
    patched = api.patch(f"/contacts/{contact.pk}", {"version": contact.version, "first_name": "J"})
    assert patched.status_code == (200 if who in CHANGES else 404 if not SEES[who] else 403)
    deleted = api.delete(f"/contacts/{contact.pk}")
    assert deleted.status_code == (204 if who in DELETES else 404 if not SEES[who] else 403)
    assert Contact.objects.filter(pk=contact.pk).exists() == (who not in DELETES)


def test_create_on_a_partner_the_caller_sees(personas: Personas) -> None:
    partner = make_partner(personas.salesperson, name="Morel")
    title = JobTitle.objects.create(company=personas.company, name="CEO", name_key="ceo")
    api = ApiClient(personas.teammate)
    response = api.post(
        "/contacts",
        {
            "main_partner": partner.pk,
            "last_name": "Durand",
            "job_title": title.pk,
            "email": "a@b.fr",
            "external_id": "C-1",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["main_partner"] == partner.pk
    assert body["job_title"] == title.pk
    assert body["external_id"] == "C-1"
    # Tracking follows the partner's: whoever sees the partner sees its contact.
    assert body["assigned_to"] == personas.salesperson.pk


def test_create_refuses_unseen_partner_and_foreign_title(personas: Personas) -> None:
    hidden = make_partner(personas.outsider, name="Hidden")
    theirs = JobTitle.objects.create(company=personas.other_company, name="CEO", name_key="ceo")
    response = ApiClient(personas.salesperson).post(
        "/contacts", {"main_partner": hidden.pk, "last_name": "X", "job_title": theirs.pk}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"main_partner", "job_title"}
    assert not Contact.objects.filter(last_name="X").exists()


def test_conflict_and_move_to_another_partner(personas: Personas, contact: Contact) -> None:
    other = make_partner(personas.salesperson, name="Other")
    api = ApiClient(personas.salesperson)
    moved = api.patch(
        f"/contacts/{contact.pk}", {"version": contact.version, "main_partner": other.pk}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["main_partner"] == other.pk
    stale = api.patch(f"/contacts/{contact.pk}", {"version": contact.version, "last_name": "Z"})
    assert stale.status_code == 409


def test_filters(personas: Personas, contact: Contact) -> None:
    other = make_contact(
        personas.salesperson, make_partner(personas.salesperson, name="B"), last_name="Bernard"
    )
    api = ApiClient(personas.manager)

    def ids(**params: object) -> set[int]:
        return {row["id"] for row in api.get("/contacts", params).json()["items"]}

    assert ids(partner=contact.main_partner_id) == {contact.pk}
    assert ids(email="J@Morel.fr") == {contact.pk}
    assert ids(q="bern") == {other.pk}
    assert ids() == {contact.pk, other.pk}


def test_list_query_count_is_pinned(personas: Personas, django_assert_num_queries) -> None:
    partner = make_partner(personas.salesperson)
    for i in range(4):
        make_contact(personas.salesperson, partner, last_name=f"C{i}")
    api = ApiClient(personas.salesperson)
    api.get("/contacts")  # writes the token's last use once
    # 1 the token and its user, 2 the memberships, 3 the teams (actor), 4 the page with its
    # addresses and countries joined, 5 the page's tags.
    with django_assert_num_queries(5):
        response = api.get("/contacts", {"limit": 3})
    assert len(response.json()["items"]) == 3
    assert response.json()["next_cursor"]


@pytest.mark.parametrize(
    "body",
    [
        {"main_partner": 2**63, "last_name": "X"},
        {"main_partner": 1, "last_name": "X" * 1_000_000},
        {"main_partner": 1, "last_name": "X", "civility": "sir"},
        {"main_partner": "one", "last_name": "X"},
        {"last_name": "X"},
    ],
)
def test_bad_bodies_are_json_errors(personas: Personas, body: dict) -> None:
    response = ApiClient(personas.administrator).post("/contacts", body)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
