"""Bulk actions on the lead lists: assign to me, assign to…, change status, add/remove a tag,
delete; on the selected rows or on every lead matching the list's filters, never beyond what
the user sees."""

from __future__ import annotations

from typing import Any

import pytest

from piste.core.access import require_actor
from piste.core.models import Activity, Tag
from piste.core.testing import en_client
from piste.leads import services
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.leads.tests.factories import make_lead, status

BULK = "/leads/bulk/"


def post(client: Any, action: str, leads: list[Lead] | None = None, **data: Any) -> Any:
    """A bulk POST as the toolbar sends it, following the redirect back to the list."""
    payload = {"action": action, "kind": "open", "query": "", **data}
    if leads is not None:
        payload["ids"] = [lead.pk for lead in leads]
    return client.post(BULK, payload, follow=True)


def text(response: Any) -> str:
    return response.content.decode()


def assignee(lead: Lead) -> int | None:
    return Lead.objects.values_list("assigned_to_id", flat=True).get(pk=lead.pk)


def activities(lead: Lead, verb: str) -> int:
    return Activity.objects.filter(object_id=lead.pk, verb=verb).count()


@pytest.fixture
def reason(personas):
    return LostReason.objects.create(company=personas.company, name="Price")


@pytest.fixture
def leads(personas, reason):
    """Four open leads and a lost one of company A (created by the administrator, so every
    company-wide persona sees them), and one lead of company B."""
    admin = personas.administrator
    made = {name: make_lead(admin, last_name=name) for name in ("Ana", "Ben", "Cid", "Dan")}
    made["Lou"] = make_lead(admin, last_name="Lou")
    services.lead_lose(actor=require_actor(admin), lead=made["Lou"], reason=reason)
    made["Zed"] = make_lead(personas.other, last_name="Zed")
    return made


# Each action --------------------------------------------------------------------------------


def test_assign_to_me_assigns_and_skips_lost_leads(personas, leads):
    client = en_client(personas.manager)
    chosen = [leads["Ana"], leads["Ben"], leads["Lou"]]
    response = post(client, "assign_me", chosen, kind="open")
    assert response.redirect_chain == [("/leads/open/", 302)]
    # Lou is lost, so not among the open leads.
    assert "2 leads assigned to Manager Test." in text(response)
    assert "skipped" not in text(response)
    response = post(client, "assign_me", chosen, kind="closed")
    assert "0 leads assigned to Manager Test." in text(response)
    assert "1 lost lead skipped: reopen it first." in text(response)
    assert assignee(leads["Ana"]) == assignee(leads["Ben"]) == personas.manager.pk
    assert assignee(leads["Lou"]) == personas.administrator.pk
    assert assignee(leads["Cid"]) == personas.administrator.pk  # not selected
    assert activities(leads["Ana"], Activity.Verb.ASSIGNED) == 1
    assert activities(leads["Lou"], Activity.Verb.ASSIGNED) == 0


def test_assign_to_a_user_of_the_company(personas, leads):
    client = en_client(personas.manager)
    response = post(client, "assign", [leads["Ana"], leads["Cid"]], user=personas.teammate.pk)
    assert "2 leads assigned to Teammate Test." in text(response)
    assert assignee(leads["Ana"]) == assignee(leads["Cid"]) == personas.teammate.pk
    activity = Activity.objects.get(object_id=leads["Ana"].pk, verb=Activity.Verb.ASSIGNED)
    assert activity.data["changes"][0]["to"] == "Teammate Test"


def test_assign_needs_a_user_of_the_company(personas, leads):
    client = en_client(personas.manager)
    response = post(client, "assign", [leads["Ana"]])
    assert "Choose the user to assign the leads to." in text(response)
    response = post(client, "assign", [leads["Ana"]], user=personas.other.pk)
    assert "Select a valid choice" in text(response)
    assert assignee(leads["Ana"]) == personas.administrator.pk


def test_change_status_moves_open_leads_and_skips_lost_ones(personas, leads):
    company_id = personas.company.pk
    sq = LeadStatus.objects.get(company_id=company_id, name="Sales qualification")
    client = en_client(personas.marketing)
    chosen = [leads["Ana"], leads["Ben"], leads["Lou"]]
    response = post(client, "status", chosen, kind="mine", status=sq.pk, query="sort=name")
    # kind "mine" of the marketing persona holds none of them: nothing changes.
    assert response.redirect_chain == [("/leads/mine/?sort=name", 302)]
    assert "0 leads moved to “Sales qualification”." in text(response)
    response = post(client, "status", chosen, kind="open", status=sq.pk)
    # Lou is lost, hence not in Open leads: only the two open leads move.
    assert "2 leads moved to “Sales qualification”." in text(response)
    response = post(client, "status", chosen, kind="closed", status=sq.pk)
    assert "1 converted or lost lead skipped" in text(response)
    assert Lead.objects.get(pk=leads["Ana"].pk).status_id == sq.pk
    assert Lead.objects.get(pk=leads["Lou"].pk).status_id == status(company_id, "lost").pk
    assert activities(leads["Ana"], Activity.Verb.STATUS_CHANGED) == 1


def test_change_status_refuses_a_closed_status(personas, leads):
    lost = status(personas.company.pk, "lost")
    response = post(en_client(personas.manager), "status", [leads["Ana"]], status=lost.pk)
    assert "Leads move to a closed status only through Convert or Lose." in text(response)
    assert Lead.objects.get(pk=leads["Ana"].pk).status.role == LeadStatus.Role.DEFAULT


def test_add_and_remove_a_tag(personas, leads):
    hot = Tag.objects.create(company=personas.company, name="Hot")
    Lead.tags.through.objects.create(lead_id=leads["Ana"].pk, tag_id=hot.pk)
    client = en_client(personas.salesperson)
    # The salesperson sees none of the administrator's leads: nothing is tagged.
    response = post(client, "tag_add", [leads["Ben"]], tag=hot.pk)
    assert "Tag “Hot” added to 0 leads." in text(response)
    client = en_client(personas.manager)
    response = post(client, "tag_add", [leads["Ana"], leads["Ben"], leads["Cid"]], tag=hot.pk)
    assert "Tag “Hot” added to 2 leads. 1 lead already had it." in text(response)
    assert set(hot.leads.values_list("last_name", flat=True)) == {"Ana", "Ben", "Cid"}
    assert activities(leads["Ben"], Activity.Verb.CHANGED) == 1
    assert activities(leads["Ana"], Activity.Verb.CHANGED) == 0
    response = post(client, "tag_remove", [leads["Ana"], leads["Dan"]], tag=hot.pk)
    assert "Tag “Hot” removed from 1 lead. 1 lead did not have it." in text(response)
    assert set(hot.leads.values_list("last_name", flat=True)) == {"Ben", "Cid"}


def test_a_tag_of_another_company_is_refused(personas, leads):
    foreign = Tag.objects.create(company=personas.other_company, name="Foreign")
    response = post(en_client(personas.manager), "tag_add", [leads["Ana"]], tag=foreign.pk)
    assert "Select a valid choice" in text(response)
    assert not foreign.leads.exists()


def test_delete_needs_the_right_and_writes_the_timeline(personas, leads):
    chosen = [leads["Ana"], leads["Ben"]]
    for persona in ("salesperson", "marketing", "reader"):
        response = en_client(personas.all[persona]).post(
            BULK, {"action": "delete", "kind": "open", "ids": [lead.pk for lead in chosen]}
        )
        assert response.status_code == 403, persona
    assert Lead.objects.filter(pk__in=[lead.pk for lead in chosen]).count() == 2
    response = post(en_client(personas.manager), "delete", chosen)
    assert "2 leads deleted." in text(response)
    assert not Lead.objects.filter(pk__in=[lead.pk for lead in chosen]).exists()
    assert activities(leads["Ana"], Activity.Verb.DELETED) == 1
    assert Lead.objects.filter(pk=leads["Cid"].pk).exists()


# Selection ----------------------------------------------------------------------------------


def test_select_all_matching_acts_on_every_lead_of_the_filtered_list(personas, leads):
    for i in range(30):
        make_lead(personas.administrator, last_name=f"Bulk {i:02}")
    client = en_client(personas.manager)
    # Every open lead whose name holds "bulk", beyond the first page; not Ana..Dan, not Lou.
    response = post(client, "assign_me", all="1", query="q=bulk&sort=name&cursor=abc")
    assert response.redirect_chain == [("/leads/open/?q=bulk&sort=name&cursor=abc", 302)]
    assert "30 leads assigned to Manager Test." in text(response)
    mine = Lead.objects.filter(assigned_to=personas.manager)
    assert mine.count() == 30 and not mine.exclude(last_name__startswith="Bulk").exists()


def test_select_all_matching_stays_within_the_list_and_the_access(personas, leads):
    mine = make_lead(personas.salesperson, last_name="Sal")
    client = en_client(personas.salesperson)
    # Open leads of the salesperson: their own only; company B's never.
    response = post(client, "tag_add", all="1", tag=_tag(personas).pk)
    assert "Tag “Hot” added to 1 lead." in text(response)
    assert list(_tag(personas).leads.all()) == [mine]


def _tag(personas: Any) -> Tag:
    return Tag.objects.get_or_create(company=personas.company, name="Hot")[0]


def test_ids_outside_the_list_or_the_access_change_nothing(personas, leads):
    outsider_lead = make_lead(personas.outsider, last_name="Out")
    client = en_client(personas.salesperson)
    response = post(client, "assign_me", [outsider_lead, leads["Ana"], leads["Zed"]])
    assert "0 leads assigned" in text(response)
    assert assignee(outsider_lead) == personas.outsider.pk
    assert assignee(leads["Ana"]) == personas.administrator.pk
    assert assignee(leads["Zed"]) == personas.other.pk


def test_another_company_posting_company_a_ids_changes_nothing(personas, leads):
    client = en_client(personas.other)
    company_a = [leads[name] for name in ("Ana", "Ben", "Cid", "Dan", "Lou")]
    hot = Tag.objects.create(company=personas.other_company, name="Hot")
    for action, extra in (
        ("assign_me", {}),
        ("tag_add", {"tag": hot.pk}),
        ("status", {"status": status(personas.other_company.pk, "default").pk}),
        ("delete", {}),
    ):
        response = post(client, action, company_a, **extra)
        assert response.status_code == 200
        assert "0 lead" in text(response), action
    assert Lead.objects.filter(company=personas.company).count() == 5
    assert not Lead.objects.filter(company=personas.company, assigned_to=personas.other).exists()
    assert not hot.leads.exists()
    # "All matching" from company B never reaches company A either.
    post(client, "delete", all="1")
    assert Lead.objects.filter(company=personas.company).count() == 5
    assert not Lead.objects.filter(pk=leads["Zed"].pk).exists()


def test_a_read_only_user_cannot_post_a_bulk_action(personas, leads):
    response = en_client(personas.reader).post(
        BULK, {"action": "assign_me", "kind": "open", "ids": [leads["Ana"].pk]}
    )
    assert response.status_code == 403
    assert assignee(leads["Ana"]) == personas.administrator.pk
    assert en_client(personas.manager).get(BULK).status_code == 405


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "assign_me", "kind": "open"}, "Select at least one lead."),
        ({"action": "explode", "kind": "open", "ids": "1"}, "Select a valid choice"),
        ({"action": "assign_me", "kind": "all", "ids": "1"}, "Select a valid choice"),
        ({"action": "assign_me", "kind": "open", "ids": "x"}, "Choose valid values."),
        ({"action": "assign_me", "kind": "open", "ids": str(10**30)}, "Choose valid values."),
        ({"action": "status", "kind": "open", "ids": "1", "status": "x"}, "Select a valid choice"),
        ({"action": "tag_add", "kind": "open", "ids": "1"}, "Choose the tag."),
    ],
)
def test_bad_bulk_posts_show_a_message_not_a_500(personas, leads, payload, message):
    response = en_client(personas.manager).post(BULK, payload, follow=True)
    assert response.status_code == 200
    assert message in text(response)
    assert not Lead.objects.filter(assigned_to=personas.manager).exists()


def test_a_malformed_query_goes_back_to_a_clean_list_url(personas, leads):
    client = en_client(personas.manager)
    response = client.post(
        BULK,
        {"action": "assign_me", "kind": "open", "ids": [leads["Ana"].pk], "query": "q=a\r\nX: y"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/leads/open/?q=a%0D%0AX%3A+y"


def test_too_many_leads_at_once_are_refused(personas, leads, monkeypatch):
    monkeypatch.setattr(services, "MAX_BULK", 3)
    response = post(en_client(personas.manager), "assign_me", all="1")
    assert "At most 3 leads at once: narrow the selection with filters." in text(response)
    assert not Lead.objects.filter(assigned_to=personas.manager).exists()


# Matching count -----------------------------------------------------------------------------


def test_matching_count_follows_the_filters_and_the_access(personas, leads):
    client = en_client(personas.manager)
    response = client.get("/leads/open/count/")
    assert "Select all 4 matching leads" in text(response)
    assert "Select the 1 matching lead" in text(client.get("/leads/open/count/", {"q": "ana"}))
    assert "Select the 1 matching lead" in text(client.get("/leads/closed/count/"))
    # Company B's administrator counts company B's lead only.
    assert "Select the 1 matching lead" in text(en_client(personas.other).get("/leads/open/count/"))
    assert en_client(personas.manager).get("/leads/everything/count/").status_code == 404


def test_matching_count_stops_at_the_bulk_limit(personas, leads, monkeypatch):
    monkeypatch.setattr(services, "MAX_BULK", 2)
    response = en_client(personas.manager).get("/leads/open/count/")
    assert "2+ leads match: at most 2 at once" in text(response)
    assert "data-select-all-matching" not in text(response)


def test_the_banner_is_offered_only_when_the_list_has_other_pages(personas, leads):
    client = en_client(personas.manager)
    assert 'id="select-all-banner"' not in text(client.get("/leads/open/"))
    for i in range(25):
        make_lead(personas.administrator, last_name=f"More {i}")
    body = text(client.get("/leads/open/", {"q": "more"}))
    assert 'id="select-all-banner"' not in body  # 25 leads: one page
    body = text(client.get("/leads/open/"))
    assert 'data-count-url="/leads/open/count/?"' in body
    body = text(
        client.get(
            "/leads/open/", {"sort": "name"}, headers={"HX-Request": "true", "HX-Target": "rows"}
        )
    )
    assert 'data-count-url="/leads/open/count/?sort=name"' in body
    assert '<input type="hidden" name="query" value="sort=name" form="bulk-form">' in body


# Query count --------------------------------------------------------------------------------


def test_bulk_action_query_count_is_pinned(personas, leads, django_assert_num_queries):
    client = en_client(personas.manager)
    client.get("/leads/open/")
    chosen = [leads["Ana"].pk, leads["Ben"].pk, leads["Cid"].pk]
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the chosen user (the form's company choices), 6. the statuses,
    # 7. the service's savepoint (its transaction, inside the test's), 8. the chosen user's
    # membership (the service's own company check), 9. the selected leads of the list with
    # their status and assignee, 10. one UPDATE of the leads, 11. one INSERT of their timeline
    # entries, 12. the savepoint's release: the same 12 for 3 leads or 1,000.
    with django_assert_num_queries(12):
        response = client.post(
            BULK, {"action": "assign", "kind": "open", "ids": chosen, "user": personas.teammate.pk}
        )
    assert response.status_code == 302
    assert Lead.objects.filter(assigned_to=personas.teammate).count() == 3
