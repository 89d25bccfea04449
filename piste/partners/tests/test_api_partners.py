"""The partner endpoints of the REST API: the pages' access rules per persona, the services'
checks as JSON errors, keyset pages with a pinned query count, and no 500 on bad input."""

from __future__ import annotations

import pytest

from piste.core.testing import Personas
from piste.leads.models import LostReason
from piste.partners.models import Partner, PartnerStatus
from piste.partners.services_prospects import prospect_statuses_backfill
from piste.partners.tests.api_client import ApiClient
from piste.partners.tests.factories import make_contact, make_partner
from piste.users.models import CrmSettings, Team

pytestmark = pytest.mark.django_db

# Who sees a partner the salesperson owns (North team, company A): the whole company but the
# outsider (South team, own scope) and the other company.
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
def owned(personas: Personas) -> Partner:
    return make_partner(personas.salesperson, name="Boulangerie Morel", external_id="ERP-1")


@pytest.mark.parametrize("who", list(SEES))
def test_read_follows_the_pages_access_rules(personas: Personas, owned: Partner, who: str) -> None:
    api = ApiClient(personas.all[who])
    response = api.get(f"/partners/{owned.pk}")
    assert response.status_code == (200 if SEES[who] else 404), response.content
    listed = [row["id"] for row in api.get("/partners").json()["items"]]
    assert (owned.pk in listed) == SEES[who]
    if SEES[who]:
        body = response.json()
        assert body["name"] == "Boulangerie Morel"
        assert body["external_id"] == "ERP-1"
        assert body["assigned_to"] == personas.salesperson.pk


@pytest.mark.parametrize("who", list(SEES))
def test_update_needs_sight_then_the_right(personas: Personas, owned: Partner, who: str) -> None:
    api = ApiClient(personas.all[who])
    response = api.patch(f"/partners/{owned.pk}", {"version": owned.version, "name": "Morel SA"})
    expected = 200 if who in CHANGES else (404 if not SEES[who] else 403)
    assert response.status_code == expected, response.content
    owned.refresh_from_db()
    assert (owned.name == "Morel SA") == (expected == 200)


@pytest.mark.parametrize("who", list(SEES))
def test_delete_needs_the_right(personas: Personas, owned: Partner, who: str) -> None:
    response = ApiClient(personas.all[who]).delete(f"/partners/{owned.pk}")
    expected = 204 if who in DELETES else (404 if not SEES[who] else 403)
    assert response.status_code == expected, response.content
    assert Partner.objects.filter(pk=owned.pk).exists() == (expected != 204)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("salesperson", 201), ("marketing", 201), ("reader", 403), ("other", 201)],
)
def test_create_needs_the_right(personas: Personas, who: str, expected: int) -> None:
    user = personas.all[who]
    response = ApiClient(user).post(
        "/partners", {"name": "Garage Lenoir", "is_prospect": True, "external_id": "X-9"}
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        partner = Partner.objects.get(pk=response.json()["id"])
        assert partner.company_id == user.active_company_id
        assert partner.created_by == user
        assert partner.external_id == "X-9"
        assert partner.is_draft_prospect


def test_create_customer_needs_the_right(personas: Personas) -> None:
    response = ApiClient(personas.salesperson).post(
        "/partners", {"name": "Garage Lenoir", "is_customer": True}
    )
    assert response.status_code == 400
    assert "is_customer" in response.json()["errors"]
    assert not Partner.objects.filter(name="Garage Lenoir").exists()


def test_ids_of_another_company_or_unseen_are_refused_by_field(personas: Personas) -> None:
    theirs = Team.objects.create(company=personas.other_company, name="Theirs")
    hidden = make_partner(personas.outsider, name="Hidden")
    api = ApiClient(personas.salesperson)
    response = api.post(
        "/partners",
        {"name": "Acme", "team": theirs.pk, "parent": hidden.pk, "assigned_to": personas.other.pk},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"team", "parent", "assigned_to"}
    assert not Partner.objects.filter(name="Acme").exists()


def test_stale_version_is_a_conflict(personas: Personas, owned: Partner) -> None:
    api = ApiClient(personas.salesperson)
    first = api.patch(f"/partners/{owned.pk}", {"version": owned.version, "name": "One"})
    assert first.status_code == 200
    assert first.json()["version"] == owned.version + 1
    second = api.patch(f"/partners/{owned.pk}", {"version": owned.version, "name": "Two"})
    assert second.status_code == 409
    assert second.json()["detail"]
    owned.refresh_from_db()
    assert owned.name == "One"


def test_patch_changes_only_the_fields_sent(personas: Personas, owned: Partner) -> None:
    api = ApiClient(personas.salesperson)
    response = api.patch(
        f"/partners/{owned.pk}", {"version": owned.version, "email": "Contact@Morel.FR"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "Contact@morel.fr"  # the domain in lower case
    assert body["name"] == "Boulangerie Morel"
    assert body["is_prospect"] is True


def test_filters(personas: Personas) -> None:
    prospect = make_partner(personas.salesperson, name="Alpha", siren="732829320")
    customer = make_partner(personas.manager, name="Beta", is_customer=True, external_id="B")
    api = ApiClient(personas.manager)

    def ids(**params: object) -> set[int]:
        response = api.get("/partners", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(is_customer="true") == {customer.pk}
    assert ids(is_prospect="true") == {prospect.pk}
    assert ids(q="alp") == {prospect.pk}
    assert ids(siren="732829320") == {prospect.pk}
    assert ids(external_id="B") == {customer.pk}
    assert ids(assigned_to=personas.salesperson.pk) == {prospect.pk}
    assert ids(validated="false") == {prospect.pk}
    assert ids(closed="true") == set()


def test_keyset_pages_walk_every_row_once(personas: Personas) -> None:
    made = {make_partner(personas.salesperson, name=f"P{i}").pk for i in range(5)}
    api = ApiClient(personas.salesperson)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/partners", params).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(made, reverse=True)


def test_list_query_count_is_pinned(personas: Personas, django_assert_num_queries) -> None:
    for i in range(4):
        make_contact(personas.salesperson, make_partner(personas.salesperson, name=f"P{i}"))
    api = ApiClient(personas.salesperson)
    api.get("/partners")  # the token's last use is written once: not part of the count
    # 1 the token and its user, 2 the memberships, 3 the teams (actor), 4 the page with its
    # addresses and countries joined, 5 the page's tags.
    with django_assert_num_queries(5):
        response = api.get("/partners", {"limit": 3})
    assert len(response.json()["items"]) == 3


def test_validate_prospect(personas: Personas, owned: Partner) -> None:
    refused = ApiClient(personas.salesperson).post(f"/partners/{owned.pk}/validate")
    assert refused.status_code == 403
    response = ApiClient(personas.manager).post(f"/partners/{owned.pk}/validate")
    assert response.status_code == 200, response.content
    assert response.json()["prospect_validated_at"]
    again = ApiClient(personas.manager).post(f"/partners/{owned.pk}/validate")
    assert again.status_code == 400


def _statuses_on(personas: Personas) -> None:
    CrmSettings.objects.filter(company=personas.company).update(manage_prospect_statuses=True)
    personas.company.crm_settings.refresh_from_db()
    prospect_statuses_backfill(company_id=personas.company.pk)


def test_prospect_statuses_off_refuse_status_changes(personas: Personas, owned: Partner) -> None:
    status = PartnerStatus.objects.filter(company=personas.company, is_open=True).first()
    assert status is not None
    response = ApiClient(personas.salesperson).post(
        f"/partners/{owned.pk}/status", {"status": status.pk}
    )
    assert response.status_code == 400
    assert "Settings" in response.json()["detail"]


def test_prospect_status_change_lose_reopen(personas: Personas, owned: Partner) -> None:
    _statuses_on(personas)
    api = ApiClient(personas.salesperson)
    other = PartnerStatus.objects.filter(company=personas.company, is_open=True, role="").first()
    assert other is not None
    moved = api.post(f"/partners/{owned.pk}/status", {"status": other.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == other.pk
    theirs = PartnerStatus.objects.filter(company=personas.other_company).first()
    assert theirs is not None
    refused = api.post(f"/partners/{owned.pk}/status", {"status": theirs.pk})
    assert refused.status_code == 400
    assert "status" in refused.json()["errors"]
    reason = LostReason.objects.create(company=personas.company, name="Price", name_key="price")
    lost = api.post(f"/partners/{owned.pk}/lose", {"reason": reason.pk})
    assert lost.status_code == 200, lost.content
    assert lost.json()["lost_reason"] == reason.pk
    reopened = api.post(f"/partners/{owned.pk}/reopen")
    assert reopened.status_code == 200
    assert reopened.json()["lost_reason"] is None


def test_win_needs_create_customers(personas: Personas, owned: Partner) -> None:
    _statuses_on(personas)
    refused = ApiClient(personas.salesperson).post(f"/partners/{owned.pk}/win")
    assert refused.status_code == 400
    won = ApiClient(personas.manager).post(f"/partners/{owned.pk}/win")
    assert won.status_code == 200, won.content
    assert won.json()["is_customer"] is True


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/partners/99999999999999999999999", None),
        ("get", "/partners/-1", None),
        ("get", "/partners/abc", None),
        ("get", "/partners?cursor=%%%", None),
        ("get", "/partners?cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", None),
        ("get", "/partners?limit=100000", None),
        ("get", "/partners?assigned_to=99999999999999999999", None),
        ("get", "/partners?q=%00", None),
        ("post", "/partners", {"name": "x" * 1_000_000}),
        ("post", "/partners", {"name": "A\x00B"}),
        ("post", "/partners", {"name": "A", "unknown": 1}),
        ("post", "/partners", {"name": 12}),
        ("post", "/partners", {"name": "A", "team": 2**70}),
        ("post", "/partners", {"name": "A", "closed_on": "99999-01-01"}),
        ("post", "/partners", {"name": "A", "size": 7}),
        ("post", "/partners", {"name": "A", "siren": "123"}),
        ("post", "/partners", {"name": "A", "email": "not an email"}),
        ("post", "/partners", []),
        ("post", "/partners", "{"),
        ("patch", "/partners/1", {"name": "A"}),
    ],
)
def test_bad_input_is_a_clear_json_error(
    personas: Personas, method: str, path: str, body: object
) -> None:
    api = ApiClient(personas.administrator)
    if body == "{":
        response = api.raw("post", path, "{")
    else:
        response = getattr(api, method)(path, body) if method != "get" else api.get(path)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]


def test_no_token_is_401(personas: Personas) -> None:
    from django.test import Client

    response = Client().get("/api/v1/partners", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
