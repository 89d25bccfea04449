"""/api/v1 statuses and referentials: anyone of the company reads; the configuration right
writes, through the referential services; another company's entries are never seen."""

from __future__ import annotations

import pytest

from piste.api.tests.helpers import api_as
from piste.core.api import PLAIN_FIELDS, USER_FIELDS, _referentials
from piste.leads.models import LeadSource, LeadStatus
from piste.leads.tests.factories import make_lead
from piste.users.models import Team

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/lead-statuses", "/prospect-statuses", "/opportunity-stages"])
def test_statuses_are_the_companys_in_order(personas, path):
    body = api_as(personas.reader).get(path).json()
    assert body, path
    assert [s["sequence"] for s in body] == sorted(s["sequence"] for s in body)
    other = {s["id"] for s in api_as(personas.other).get(path).json()}
    assert not other & {s["id"] for s in body}


def test_every_registered_field_has_an_api_field():
    for referential in _referentials().values():
        for name in referential.fields:
            assert name in PLAIN_FIELDS or name in USER_FIELDS, (referential.slug, name)


def test_referential_kinds_list_the_visible_ones(personas):
    slugs = {k["slug"] for k in api_as(personas.reader).get("/referentials").json()}
    assert {"lead-sources", "lost-reasons", "industry-sectors", "teams", "tags"} <= slugs


@pytest.mark.parametrize(
    ("persona", "reads", "writes"),
    [
        ("administrator", 200, True),
        ("manager", 200, False),
        ("salesperson", 200, False),
        ("reader", 200, False),
    ],
)
def test_read_for_all_write_with_the_configuration_right(personas, persona, reads, writes):
    source = LeadSource.objects.create(company=personas.company, name="Salon", code="S")
    api = api_as(personas.all[persona])
    listed = api.get("/referentials/lead-sources").json()["items"]
    assert [row["name"] for row in listed] == ["Salon"]
    assert api.get(f"/referentials/lead-sources/{source.pk}").json()["code"] == "S"
    created = api.post("/referentials/lead-sources", {"name": "Webinaire", "code": "W"})
    assert created.status_code == (201 if writes else 403)
    changed = api.patch(f"/referentials/lead-sources/{source.pk}", {"name": "Salon pro"})
    assert changed.status_code == (200 if writes else 403)
    deleted = api.delete(f"/referentials/lead-sources/{source.pk}")
    assert deleted.status_code == (204 if writes else 403)
    assert LeadSource.objects.filter(pk=source.pk).exists() is not writes


def test_other_company_gets_404(personas):
    source = LeadSource.objects.create(company=personas.company, name="Salon")
    api = api_as(personas.other)
    assert api.get(f"/referentials/lead-sources/{source.pk}").status_code == 404
    assert api.patch(f"/referentials/lead-sources/{source.pk}", {"name": "x"}).status_code == 404
    assert api.delete(f"/referentials/lead-sources/{source.pk}").status_code == 404
    assert api.get("/referentials/lead-sources").json()["items"] == []
    assert api.get("/referentials/nope").status_code == 404


def test_duplicate_names_unknown_fields_and_in_use_entries_are_400(personas):
    api = api_as(personas.administrator)
    first = api.post("/referentials/lead-sources", {"name": "Salon"}).json()
    same = api.post("/referentials/lead-sources", {"name": "SALON"})
    assert same.status_code == 400 and "name" in same.json()["errors"]
    wrong = api.post("/referentials/job-titles", {"name": "Gérant", "code": "G"})
    assert wrong.status_code == 400 and "code" in wrong.json()["errors"]
    blank = api.post("/referentials/job-titles", {"name": "   "})
    assert blank.status_code == 400
    # A lost reason used by a lost lead is protected.
    reason = api.post("/referentials/lost-reasons", {"name": "Prix"}).json()
    lead = make_lead(personas.administrator)
    api.post(f"/leads/{lead.pk}/lose", {"reason_id": reason["id"]})
    used = api.delete(f"/referentials/lost-reasons/{reason['id']}")
    assert used.status_code == 400 and "still used" in used.json()["detail"]
    assert first["id"]


def test_teams_members_by_id_within_the_company(personas):
    api = api_as(personas.administrator)
    created = api.post(
        "/referentials/teams",
        {"name": "Est", "leader_id": personas.manager.pk, "member_ids": [personas.teammate.pk]},
    )
    assert created.status_code == 201, created.content
    assert created.json()["member_ids"] == [personas.teammate.pk]
    foreign = api.post("/referentials/teams", {"name": "Ouest", "member_ids": [personas.other.pk]})
    assert foreign.status_code == 400
    assert not Team.objects.filter(name="Ouest").exists()


def test_tags_are_served_too(personas):
    api = api_as(personas.administrator)
    tag = api.post("/referentials/tags", {"name": "VIP", "color": "#ff0000"})
    assert tag.status_code == 201
    bad = api.post("/referentials/tags", {"name": "Rouge", "color": "red"})
    assert bad.status_code == 400 and "color" in bad.json()["errors"]
    lead = api.post("/leads", {"last_name": "T", "tag_ids": [tag.json()["id"]]}).json()
    assert lead["tag_ids"] == [tag.json()["id"]]


def test_referential_list_query_count(personas, django_assert_num_queries):
    api = api_as(personas.salesperson)
    for i in range(5):
        Team.objects.create(company=personas.company, name=f"T{i}").members.add(personas.teammate)
    api.get("/referentials/teams")
    # 1 the token, 2 the memberships, 3 the teams (the actor), 4 the page, 5 the members.
    with django_assert_num_queries(5):
        assert len(api.get("/referentials/teams").json()["items"]) == 7


def test_statuses_are_not_writable_here(personas):
    status = LeadStatus.objects.filter(company=personas.company)[0]
    response = api_as(personas.administrator).client.delete(f"/api/v1/lead-statuses/{status.pk}")
    assert response.status_code in (404, 405)
