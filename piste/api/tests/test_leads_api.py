"""/api/v1/leads: the same access rules as the lead pages, per persona, and every refusal JSON."""

from __future__ import annotations

import pytest

from piste.api.tests.helpers import api_as
from piste.leads.models import Lead, LeadSource, LeadStatus, LostReason
from piste.leads.tests.factories import make_lead, status
from piste.partners.models import JobTitle

pytestmark = pytest.mark.django_db

# persona -> (sees the salesperson's lead, may change it, may delete it, may create)
RULES = {
    "administrator": (True, True, True, True),
    "manager": (True, True, True, True),
    "salesperson": (True, True, False, True),
    "teammate": (True, True, False, True),
    "marketing": (True, True, False, True),
    "reader": (True, False, False, False),
    "outsider": (False, False, False, True),
    "other": (False, False, False, True),
}


@pytest.fixture
def lead(personas):
    return make_lead(personas.salesperson, last_name="Martin", email="jean.martin@example.fr")


def _expected(allowed: bool, visible: bool, ok: int) -> int:
    if not visible:
        return 404
    return ok if allowed else 403


@pytest.mark.parametrize("persona", list(RULES))
def test_read_list_change_delete_as_the_pages(personas, lead, persona):
    sees, changes, deletes, creates = RULES[persona]
    api = api_as(personas.all[persona])
    listed = [row["id"] for row in api.get("/leads").json()["items"]]
    assert (lead.pk in listed) is sees
    read = api.get(f"/leads/{lead.pk}")
    assert read.status_code == (200 if sees else 404)
    patch = api.patch(f"/leads/{lead.pk}", {"version": lead.version, "first_name": "Jean"})
    assert patch.status_code == _expected(changes, sees, 200), patch.content
    take = api.post(f"/leads/{lead.pk}/take-charge")
    assert take.status_code == _expected(changes, sees, 200)
    created = api.post("/leads", {"last_name": "Neuf"})
    assert created.status_code == (201 if creates else 403)
    deleted = api.delete(f"/leads/{lead.pk}")
    assert deleted.status_code == _expected(deletes, sees, 204)
    assert Lead.objects.filter(pk=lead.pk).exists() is not (deletes and sees)
    for response in (read, patch, take, created, deleted):
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json")
            assert response.json()["detail"]


def test_create_with_related_ids_and_read_back(personas):
    source = LeadSource.objects.create(company=personas.company, name="Salon")
    job = JobTitle.objects.create(company=personas.company, name="Gérant")
    api = api_as(personas.salesperson)
    response = api.post(
        "/leads",
        {
            "last_name": "Bernard",
            "first_name": "Lucie",
            "enterprise_name": "Menuiserie Bernard",
            "email": "LUCIE@Example.FR",
            "source_id": source.pk,
            "job_title_id": job.pk,
            "scoring": 3,
            "address": {"line1": "1 rue de la Paix", "postal_code": "75002", "city_name": "Paris"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source_id"] == source.pk and body["job_title_id"] == job.pk
    assert body["assigned_to_id"] == personas.salesperson.pk
    assert body["status"]["role"] == "default"
    assert body["address"]["city_name"] == "Paris"
    assert body["full_name"] == "Menuiserie Bernard, Lucie Bernard"
    assert api.get(f"/leads/{body['id']}").json() == body


def test_related_ids_of_another_company_are_refused(personas):
    foreign = LeadSource.objects.create(company=personas.other_company, name="Salon")
    api = api_as(personas.salesperson)
    response = api.post("/leads", {"last_name": "X", "source_id": foreign.pk})
    assert response.status_code == 400
    assert "source_id" in response.json()["errors"]
    response = api.post("/leads", {"last_name": "X", "assigned_to_id": personas.other.pk})
    assert response.status_code == 400
    assert not Lead.objects.filter(last_name="X").exists()


def test_patch_with_an_old_version_is_a_409_and_writes_nothing(personas, lead):
    api = api_as(personas.salesperson)
    first = api.patch(f"/leads/{lead.pk}", {"version": lead.version, "first_name": "A"})
    assert first.status_code == 200
    assert first.json()["version"] == lead.version + 1
    second = api.patch(f"/leads/{lead.pk}", {"version": lead.version, "first_name": "B"})
    assert second.status_code == 409
    assert "Someone else saved" in second.json()["detail"]
    lead.refresh_from_db()
    assert lead.first_name == "A"


def test_patch_changes_only_the_sent_fields(personas, lead):
    api = api_as(personas.salesperson)
    body = api.patch(f"/leads/{lead.pk}", {"version": lead.version, "scoring": 4}).json()
    assert body["scoring"] == 4 and body["email"] == "jean.martin@example.fr"
    refused = api.patch(f"/leads/{lead.pk}", {"version": body["version"], "last_name": None})
    assert refused.status_code == 400


def test_lose_reopen_and_change_status(personas, lead):
    reason = LostReason.objects.create(company=personas.company, name="Prix", comment_required=True)
    api = api_as(personas.salesperson)
    no_comment = api.post(f"/leads/{lead.pk}/lose", {"reason_id": reason.pk})
    assert no_comment.status_code == 400
    assert "comment" in no_comment.json()["errors"]
    lost = api.post(f"/leads/{lead.pk}/lose", {"reason_id": reason.pk, "comment": "Trop cher"})
    assert lost.status_code == 200
    assert lost.json()["status"]["role"] == "lost"
    assert lost.json()["lost_reason_id"] == reason.pk
    assert api.post(f"/leads/{lead.pk}/take-charge").status_code == 400
    reopened = api.post(f"/leads/{lead.pk}/reopen")
    assert reopened.json()["status"]["role"] == "default"
    target = LeadStatus.objects.filter(company=personas.company, is_open=True, role="")[0]
    moved = api.post(f"/leads/{lead.pk}/status", {"status_id": target.pk})
    assert moved.status_code == 200 and moved.json()["status"]["id"] == target.pk
    converted = status(personas.company.pk, "converted")
    refused = api.post(f"/leads/{lead.pk}/status", {"status_id": converted.pk})
    assert refused.status_code == 400
    foreign = LeadStatus.objects.filter(company=personas.other_company)[0]
    assert api.post(f"/leads/{lead.pk}/status", {"status_id": foreign.pk}).status_code == 400


def test_convert_into_a_new_partner_then_again_returns_the_same(personas, lead):
    api = api_as(personas.salesperson)
    response = api.post(f"/leads/{lead.pk}/convert", {"types": ["is_prospect"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created_partner"] is True and body["already"] is False
    assert body["lead"]["status"]["role"] == "converted"
    assert body["lead"]["partner_id"] == body["partner_id"]
    again = api.post(f"/leads/{lead.pk}/convert", {"types": ["is_prospect"]}).json()
    assert again["already"] is True and again["partner_id"] == body["partner_id"]


def test_reader_may_not_convert_and_outsider_does_not_see(personas, lead):
    assert api_as(personas.reader).post(f"/leads/{lead.pk}/convert", {}).status_code == 403
    assert api_as(personas.outsider).post(f"/leads/{lead.pk}/convert", {}).status_code == 404


def test_list_filters(personas):
    source = LeadSource.objects.create(company=personas.company, name="Salon")
    a = make_lead(personas.salesperson, last_name="Alpha", email="a@x.fr", source=source)
    b = make_lead(personas.salesperson, last_name="Beta", external_id="ERP-2")
    c = make_lead(personas.manager, last_name="Gamma")
    api = api_as(personas.administrator)

    def ids(**params):
        response = api.get("/leads", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(q="alpha") == {a.pk}
    assert ids(source=source.pk) == {a.pk}
    assert ids(assigned_to=personas.manager.pk) == {c.pk}
    assert ids(external_id="ERP-2") == {b.pk}
    assert ids(email="A@X.FR") == {a.pk}
    assert ids(open="false") == set()
    assert ids(open="true") == {a.pk, b.pk, c.pk}
    assert ids(status=a.status_id) == {a.pk, b.pk, c.pk}
    assert ids(created_after="2999-01-01T00:00:00Z") == set()
    assert ids(created_before="2999-01-01T00:00:00Z") == {a.pk, b.pk, c.pk}


def test_cursor_pages_walk_every_lead_once(personas):
    made = {make_lead(personas.salesperson, last_name=f"L{i}").pk for i in range(5)}
    api = api_as(personas.salesperson)
    seen: list[int] = []
    cursor = None
    for _page in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/leads", params).json()
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)


def test_list_query_count_is_pinned(personas, django_assert_num_queries):
    for i in range(30):
        make_lead(personas.salesperson, last_name=f"L{i}", address={"city_name": "Lyon"})
    api = api_as(personas.salesperson)
    api.get("/leads")  # records last_used_at (at most every 5 minutes)
    # 1 the token with its user, 2 the memberships with companies, 3 the teams (the actor),
    # 4 the page with status, address and country joined, 5 the page's tags.
    with django_assert_num_queries(5):
        response = api.get("/leads", {"limit": 25})
    assert len(response.json()["items"]) == 25


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/leads/99999999999999999999999", None),
        ("get", "/leads/-1", None),
        ("get", "/leads/abc", None),
        ("get", "/leads?cursor=%%%", None),
        ("get", "/leads?cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5", None),
        ("get", "/leads?limit=100000", None),
        ("get", "/leads?status=abc", None),
        ("get", "/leads?created_after=0001-01-01T00:00:00", None),
        ("get", "/leads?q=%00", None),
        ("post", "/leads", {"last_name": "x" * 1_000_000}),
        ("post", "/leads", {"last_name": "a\x00b"}),
        ("post", "/leads", {"last_name": "X", "unknown": 1}),
        ("post", "/leads", {"last_name": ["X"]}),
        ("post", "/leads", {"last_name": "X", "source_id": 2**70}),
        ("post", "/leads", {"last_name": "X", "tag_ids": [1, 2**40]}),
        ("post", "/leads", {"last_name": "X", "address": {"country": "ZZ"}}),
        ("post", "/leads", {"last_name": "X", "email": "not an email"}),
        ("post", "/leads", []),
        ("patch", "/leads/{pk}", {"first_name": "no version"}),
        ("patch", "/leads/{pk}", {"version": 2**40}),
        ("post", "/leads/{pk}/lose", {"reason_id": "x"}),
        ("post", "/leads/{pk}/convert", {"partner": "existing"}),
        ("post", "/leads/{pk}/convert", {"partner": "existing", "partner_id": 2**62}),
        ("post", "/leads/{pk}/convert", {"types": []}),
    ],
)
def test_bad_input_is_a_clear_json_error_never_a_500(personas, lead, method, path, body):
    api = api_as(personas.salesperson)
    path = path.replace("{pk}", str(lead.pk))
    response = getattr(api, method)(path, *([body] if method != "get" else []))
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "raw", [b"{not json", b"\xff\xfe", b"", b'{"last_name": "X"', b"null", b"[1,2]"]
)
def test_malformed_bodies_are_refused(personas, raw):
    response = api_as(personas.salesperson).raw("POST", "/leads", raw, "application/json")
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_body_over_the_upload_limit_is_a_413(personas, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(personas.salesperson).post("/leads", {"last_name": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("PUT", "/leads/1", 405), ("POST", "/lead-statuses", 405), ("GET", "/nope", 404),
     ("GET", "/leads/1/nope", 404), ("DELETE", "/", 405)],
)  # fmt: skip
def test_unknown_addresses_and_methods_answer_json(personas, method, path, status):
    response = api_as(personas.salesperson).raw(method, path, b"", "application/json")
    assert response.status_code == status
    assert response.json()["detail"]


def test_the_api_root_names_its_documentation(client):
    assert client.get("/api/v1/").json()["openapi"] == "/api/v1/openapi.json"
