"""The opportunity endpoints of the REST API: access per persona, stage actions through the
services, ids checked, pinned list, no 500 on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from piste.core.access import actor_for
from piste.core.testing import Personas
from piste.leads.models import LostReason
from piste.opportunities import services
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.partners.models import Partner
from piste.partners.tests.api_client import ApiClient
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import User

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


def make_opportunity(user: User, partner: Partner | None = None, **data: Any) -> Opportunity:
    actor = actor_for(user)
    assert actor is not None
    data.setdefault("name", "Fours")
    data.setdefault("partner", partner or make_partner(user))
    return services.opportunity_create(actor=actor, data=data)


def open_stage(company_id: int) -> OpportunityStage:
    stage = OpportunityStage.objects.filter(company_id=company_id, is_open=True, role="").first()
    assert stage is not None
    return stage


@pytest.fixture
def owned(personas: Personas) -> Opportunity:
    return make_opportunity(personas.salesperson, amount="1000", external_id="O-1")


@pytest.mark.parametrize("who", list(SEES))
def test_read_update_delete_per_persona(personas: Personas, owned: Opportunity, who: str) -> None:
    api = ApiClient(personas.all[who])
    read = api.get(f"/opportunities/{owned.pk}")
    assert read.status_code == (200 if SEES[who] else 404)
    if SEES[who]:
        assert read.json()["amount"] in ("1000.00", 1000.0)
        assert read.json()["external_id"] == "O-1"
        assert read.json()["state"] == "open"
    listed = {row["id"] for row in api.get("/opportunities").json()["items"]}
    assert (owned.pk in listed) == SEES[who]
    patched = api.patch(f"/opportunities/{owned.pk}", {"version": owned.version, "amount": 5})
    assert patched.status_code == (200 if who in CHANGES else 404 if not SEES[who] else 403)
    deleted = api.delete(f"/opportunities/{owned.pk}")
    assert deleted.status_code == (204 if who in DELETES else 404 if not SEES[who] else 403)
    assert Opportunity.objects.filter(pk=owned.pk).exists() == (who not in DELETES)


@pytest.mark.parametrize(("who", "expected"), [("teammate", 201), ("reader", 403)])
def test_create(personas: Personas, who: str, expected: int) -> None:
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    response = ApiClient(personas.all[who]).post(
        "/opportunities",
        {"name": "Four à pain", "partner": partner.pk, "contacts": [contact.pk], "amount": "12.5"},
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert body["contacts"] == [contact.pk]
        assert body["reference"].startswith("OPP-")
        assert body["assigned_to"] == personas.all[who].pk


def test_create_refuses_unseen_partner_and_foreign_stage(personas: Personas) -> None:
    hidden = make_partner(personas.outsider, name="Hidden")
    theirs = open_stage(personas.other_company.pk)
    response = ApiClient(personas.salesperson).post(
        "/opportunities", {"name": "X", "partner": hidden.pk, "stage": theirs.pk}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"partner", "stage"}
    assert not Opportunity.objects.filter(name="X").exists()


def test_contacts_must_be_the_partners(personas: Personas) -> None:
    partner = make_partner(personas.salesperson)
    elsewhere = make_contact(personas.salesperson, make_partner(personas.salesperson, name="B"))
    response = ApiClient(personas.salesperson).post(
        "/opportunities", {"name": "X", "partner": partner.pk, "contacts": [elsewhere.pk]}
    )
    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]


def test_stale_version_is_a_conflict(personas: Personas, owned: Opportunity) -> None:
    api = ApiClient(personas.salesperson)
    first = api.patch(f"/opportunities/{owned.pk}", {"version": owned.version, "name": "A"})
    assert first.status_code == 200
    stale = api.patch(f"/opportunities/{owned.pk}", {"version": owned.version, "name": "B"})
    assert stale.status_code == 409


def test_move_win_reopen_lose(personas: Personas, owned: Opportunity) -> None:
    api = ApiClient(personas.manager)
    stage = open_stage(personas.company.pk)
    moved = api.post(f"/opportunities/{owned.pk}/move", {"stage": stage.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage"] == stage.pk
    won = api.post(f"/opportunities/{owned.pk}/win", {})
    assert won.status_code == 200, won.content
    assert won.json()["state"] == "won"
    assert Partner.objects.get(pk=owned.partner_id).is_customer
    again = api.post(f"/opportunities/{owned.pk}/win", {})
    assert again.status_code == 400
    assert api.post(f"/opportunities/{owned.pk}/reopen").json()["state"] == "open"
    reason = LostReason.objects.create(company=personas.company, name="Price", name_key="price")
    lost = api.post(f"/opportunities/{owned.pk}/lose", {"reason": reason.pk})
    assert lost.status_code == 200, lost.content
    assert lost.json()["state"] == "lost"
    assert lost.json()["lost_reason"] == reason.pk


def test_actions_follow_access(personas: Personas, owned: Opportunity) -> None:
    stage = open_stage(personas.company.pk)
    assert (
        ApiClient(personas.reader)
        .post(f"/opportunities/{owned.pk}/move", {"stage": stage.pk})
        .status_code
        == 403
    )
    assert (
        ApiClient(personas.outsider)
        .post(f"/opportunities/{owned.pk}/move", {"stage": stage.pk})
        .status_code
        == 404
    )
    theirs = open_stage(personas.other_company.pk)
    refused = ApiClient(personas.salesperson).post(
        f"/opportunities/{owned.pk}/move", {"stage": theirs.pk}
    )
    assert refused.status_code == 400
    assert "stage" in refused.json()["errors"]


def test_win_by_a_salesperson_keeps_the_partner_a_prospect(
    personas: Personas, owned: Opportunity
) -> None:
    """Without « create customers » the default types make no customer (as the Win dialog)."""
    won = ApiClient(personas.salesperson).post(f"/opportunities/{owned.pk}/win", {})
    assert won.status_code == 200, won.content
    refused = ApiClient(personas.teammate).post(
        f"/opportunities/{make_opportunity(personas.teammate).pk}/win", {"is_customer": True}
    )
    assert refused.status_code == 400


def test_filters(personas: Personas) -> None:
    from datetime import date

    first = make_opportunity(personas.salesperson, expected_close_date=date(2030, 1, 10))
    second = make_opportunity(personas.manager, name="Pétrin", expected_close_date=date(2031, 1, 1))
    api = ApiClient(personas.manager)

    def ids(**params: object) -> set[int]:
        response = api.get("/opportunities", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(expected_from="2030-01-01", expected_to="2030-12-31") == {first.pk}
    assert ids(assigned_to=personas.manager.pk) == {second.pk}
    assert ids(partner=first.partner_id) == {first.pk}
    assert ids(q="petrin") == {second.pk}
    assert ids(state="open") == {first.pk, second.pk}
    assert ids(state="won") == set()
    assert ids(stage=first.stage_id) == {first.pk, second.pk}


def test_list_query_count_is_pinned(personas: Personas, django_assert_num_queries) -> None:
    partner = make_partner(personas.salesperson)
    contact = make_contact(personas.salesperson, partner)
    actor = actor_for(personas.salesperson)
    assert actor is not None
    for i in range(4):
        services.opportunity_create(
            actor=actor, data={"name": f"O{i}", "partner": partner}, contacts=[contact]
        )
    api = ApiClient(personas.salesperson)
    api.get("/opportunities")  # writes the token's last use once
    # 1 the token and its user, 2 the memberships, 3 the teams (actor), 4 the page with its
    # stages, 5 the page's contacts.
    with django_assert_num_queries(5):
        response = api.get("/opportunities", {"limit": 3})
    assert [row["contacts"] for row in response.json()["items"]] == [[contact.pk]] * 3


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/opportunities", {"name": "X", "partner": 1, "amount": "1e400"}),
        ("/opportunities", {"name": "X", "partner": 1, "amount": "NaN"}),
        ("/opportunities", {"name": "X", "partner": 1, "amount": -1}),
        ("/opportunities", {"name": "X", "partner": 1, "probability": 101}),
        ("/opportunities", {"name": "X", "partner": 1, "expected_close_date": "0001-01-01"}),
        ("/opportunities", {"name": "X", "partner": 1, "currency": "€€€"}),
        ("/opportunities", {"name": "X", "partner": 1, "contacts": [2**63]}),
        ("/opportunities", {"name": "X" * 300, "partner": 1}),
        ("/opportunities/1/lose", {"reason": "x"}),
        ("/opportunities/99999999999999999999/win", {}),
    ],
)
def test_bad_input_is_a_clear_json_error(personas: Personas, path: str, body: dict) -> None:
    response = ApiClient(personas.administrator).post(path, body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    ["expected_from=9999-12-31", "cursor=!!", "limit=0", "state=maybe", "stage=-3"],
)
def test_bad_filters_are_json_errors(personas: Personas, query: str) -> None:
    response = ApiClient(personas.administrator).get(f"/opportunities?{query}")
    assert 400 <= response.status_code < 500, response.content
