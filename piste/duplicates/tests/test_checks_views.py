"""The check pages: the field picker, the list of checks with the scan form, a check's results;
the entry points on the lists, the configuration and the CRM settings."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import en_client
from piste.duplicates import services_checks as services
from piste.duplicates.models import DuplicateGroup, DuplicateScan
from piste.duplicates.tests.checks_support import actor, ids, leads_world
from piste.leads.models import Lead
from piste.users.models import CrmSettings

State = DuplicateScan.State
CHECK = "/duplicates/check/lead/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(personas):
    return leads_world(personas)


def run(user, **kwargs):
    kwargs.setdefault("entity", "lead")
    kwargs.setdefault("fields", ["name", "company"])
    return services.duplicate_scan_start(actor=actor(user), **kwargs)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def record_links(response) -> list[str]:
    return re.findall(r'href="(/leads/\d+/)" data-testid="record-link"', response.content.decode())


# The field picker ---------------------------------------------------------------------------------


def test_the_picker_offers_the_fields_with_the_defaults_ticked(personas, world):
    client = en_client(personas.salesperson)
    response = client.get(CHECK, {"ids": [world["s1"].pk, world["s2"].pk]})
    assert response.status_code == 200
    page = text(response)
    assert "The 2 selected records." in page
    ticked = re.findall(r'<input type="checkbox" name="field" value="(\w+)"[^>]* checked', page)
    assert ticked == ["name", "company"]
    for label in ("Job title", "Email", "Phone", "City", "SIREN", "Email domain"):
        assert f">{label}</label>" in page


def test_running_a_small_check_opens_its_results(personas, world):
    client = en_client(personas.salesperson)
    response = client.post(
        CHECK, {"step": "run", "field": ["name", "company"], "query": "kind=mine"}
    )
    scan = DuplicateScan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/duplicates/scans/{scan.pk}/"
    assert (scan.state, scan.list_query, scan.created_by) == (
        State.DONE,
        "kind=mine",
        personas.salesperson,
    )
    page = client.get(response["Location"])
    assert "1 group of duplicates found." in text(page)
    assert "1 group of duplicates (2 records) among 3 records read." in text(page)
    assert record_links(page) == [f"/leads/{pk}/" for pk in ids(world["s1"], world["s2"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one field to compare."),
        ({"field": ["name", "shoe_size"]}, "“shoe_size” is not a field duplicates can be checked"),
    ],
)
def test_bad_fields_are_refused_with_a_message(personas, world, data, message):
    client = en_client(personas.salesperson)
    response = client.post(CHECK, {"step": "run", **data})
    assert response.status_code == 200
    assert message in text(response)
    assert not DuplicateScan.objects.exists()


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["abc", "12"], "The selection holds an invalid record id."),
        (["1", "99999999999999999999"], "The selection holds an invalid record id."),
        (["7"], "Select at least two records to compare."),
    ],
)
def test_bad_selections_are_refused_with_a_message(personas, world, ids, message):
    client = en_client(personas.salesperson)
    response = client.get(CHECK, {"ids": ids})
    assert response.status_code == 400
    assert message in text(response)
    assert 'data-testid="check-form"' not in text(response)
    posted = client.post(CHECK, {"step": "run", "field": ["name"], "ids": ids})
    assert message in text(posted)
    assert not DuplicateScan.objects.exists()


def test_a_selection_past_what_a_request_carries_is_a_bad_request(personas):
    # Django refuses more than 1,000 parameters (DATA_UPLOAD_MAX_NUMBER_FIELDS) before the view:
    # a 400, never a 500; the service's own cap (10,000) says so in words (test_checks_services).
    response = en_client(personas.salesperson).get(CHECK, {"ids": list(range(1, 1_002))})
    assert response.status_code == 400


def test_records_of_another_company_or_team_are_refused(personas, world):
    client = en_client(personas.salesperson)
    for unseen in ("x1", "o1", "m1"):
        response = client.get(CHECK, {"ids": [world["s1"].pk, world[unseen].pk]})
        assert response.status_code == 400
        assert "1 selected record cannot be checked" in text(response)


def test_an_unknown_kind_of_record_is_not_found(personas):
    client = en_client(personas.salesperson)
    assert client.get("/duplicates/check/opportunity/").status_code == 404
    assert client.get("/duplicates/scans/99999999999999999999999/").status_code == 404
    assert client.post("/duplicates/check/x/", {"step": "run"}).status_code == 404


def test_signed_out_users_sign_in_first(client):
    from django.urls import reverse

    for url in (CHECK, "/duplicates/scans/", "/duplicates/scans/1/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# The lists' entry points ----------------------------------------------------------------------


def test_the_lead_toolbar_sends_its_selection_to_the_picker(personas, world):
    client = en_client(personas.salesperson)
    page = client.get("/leads/mine/")
    assert 'data-testid="bulk-check-duplicates"' in page.content.decode()
    selected = [world["s1"].pk, world["s2"].pk]
    response = client.post(CHECK, {"kind": "mine", "all": "", "ids": selected, "query": "q=x"})
    assert response.status_code == 302
    assert response["Location"] == f"{CHECK}?ids={selected[0]}&ids={selected[1]}"


def test_the_lead_toolbar_sends_the_whole_list_when_all_or_nothing_is_selected(personas, world):
    client = en_client(personas.salesperson)
    for data in ({"all": "1", "ids": [world["s1"].pk]}, {}):
        response = client.post(CHECK, {"kind": "open", "query": "q=acme&sort=name", **data})
        assert response["Location"] == f"{CHECK}?q=acme&sort=name&kind=open"
    response = client.get(f"{CHECK}?q=acme&sort=name&kind=open")
    assert "The 2 records of the list." in text(response)
    assert 'name="query" value="q=acme&amp;sort=name&amp;kind=open"' in text(response)


def test_the_accounts_page_links_to_the_partner_and_contact_checks(personas):
    client = en_client(personas.salesperson)
    page = client.get("/accounts/", {"q": "mor", "kind": "prospects"}).content.decode()
    assert 'href="/duplicates/check/partner/?q=mor&amp;kind=prospects"' in page
    assert 'href="/duplicates/check/contact/?q=mor&amp;kind=prospects"' in page


def test_the_configuration_links_to_the_checks(personas):
    page = en_client(personas.administrator).get("/config/").content.decode()
    assert 'href="/duplicates/scans/" data-testid="config-duplicates"' in page


def test_the_crm_settings_switch_the_scheduled_scan_on(personas):
    client = en_client(personas.administrator)
    crm = CrmSettings.objects.get(company=personas.company)
    assert 'name="duplicate_scan"' in client.get("/config/settings/").content.decode()
    response = client.post(
        "/config/settings/",
        {
            "ignored_email_domains": crm.ignored_email_domains,
            "document_max_mb": crm.document_max_mb,
            "document_extensions": crm.document_extensions,
            "duplicate_scan": "weekly",
            "version": crm.version,
        },
    )
    assert response.status_code == 302
    crm.refresh_from_db()
    assert crm.duplicate_scan == "weekly"


# The checks and scans ---------------------------------------------------------------------------


def test_the_checks_list_shows_each_user_what_they_may_see(personas, world):
    mine = run(personas.salesperson)
    admins = run(personas.administrator)
    theirs = run(personas.other)
    seen = {
        "administrator": {mine.pk, admins.pk},
        "manager": {mine.pk, admins.pk},
        "salesperson": {mine.pk},
        "teammate": set(),
        "marketing": set(),
        "reader": set(),
        "other": {theirs.pk},
    }
    for name, expected in seen.items():
        client = en_client(getattr(personas, name))
        page = client.get("/duplicates/scans/").content.decode()
        shown = {int(pk) for pk in re.findall(r'href="/duplicates/scans/(\d+)/"', page)}
        assert shown == expected, name
        assert ('data-testid="scan-form-lead"' in page) == (
            name in ("administrator", "manager", "other")
        ), name
        for scan in (mine, admins, theirs):
            status = client.get(f"/duplicates/scans/{scan.pk}/").status_code
            assert status == (200 if scan.pk in expected else 404), (name, scan.pk)


def test_only_admins_and_managers_scan_the_whole_database(
    personas, world, django_capture_on_commit_callbacks
):
    data = {"entity": "lead", "field": ["email"]}
    for name in ("salesperson", "marketing", "reader"):
        client = en_client(getattr(personas, name))
        assert client.post("/duplicates/scans/new/", data).status_code == 403
    assert not DuplicateScan.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        response = en_client(personas.manager).post("/duplicates/scans/new/", data)
    scan = DuplicateScan.objects.get()
    assert response["Location"] == f"/duplicates/scans/{scan.pk}/"
    assert (scan.fields, scan.record_ids, scan.list_query) == (["email"], [], "")
    assert scan.state == State.DONE and not callbacks  # seven leads: at once


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"entity": "lead"}, "Choose at least one field to compare."),
        ({"entity": "order", "field": ["name"]}, "leads, partners or contacts only"),
        ({"entity": "contact", "field": ["siren"]}, "“siren” is not a field"),
        ({"field": ["name"]}, "This field is required."),
    ],
)
def test_bad_scans_are_refused_with_a_message(personas, data, message):
    client = en_client(personas.administrator)
    response = client.post("/duplicates/scans/new/", data, follow=True)
    assert message in text(response)
    assert not DuplicateScan.objects.exists()


# A check's results ------------------------------------------------------------------------------


def test_a_running_check_shows_its_progress_then_reloads(personas, world, monkeypatch):
    monkeypatch.setattr(services, "INLINE_MAX", 2)
    scan = run(personas.administrator, enqueue=False)
    DuplicateScan.objects.filter(pk=scan.pk).update(state=State.RUNNING, processed=3, total=7)
    client = en_client(personas.administrator)
    page = text(client.get(f"/duplicates/scans/{scan.pk}/"))
    assert 'id="scan-progress"' in page and 'hx-trigger="every 1s"' in page
    assert "3 of 7 records read (42 %)" in page
    headers = {**HTMX, "HX-Target": "scan-progress"}
    partial = client.get(f"/duplicates/scans/{scan.pk}/", headers=headers)
    assert "3 of 7 records read" in text(partial) and "<html" not in text(partial)
    DuplicateScan.objects.filter(pk=scan.pk).update(state=State.QUEUED)
    services.duplicate_scan_run(scan.pk)
    done = client.get(f"/duplicates/scans/{scan.pk}/", headers=headers)
    assert done.headers["HX-Refresh"] == "true"


def test_a_failed_check_shows_its_error(personas, world):
    scan = run(personas.administrator)
    DuplicateScan.objects.filter(pk=scan.pk).update(state=State.FAILED, error="Out of memory.")
    page = text(en_client(personas.administrator).get(f"/duplicates/scans/{scan.pk}/"))
    assert "Out of memory. No group was kept." in page


def test_results_leave_out_merged_and_unseen_records_and_offer_the_merge(personas, world):
    scan = run(personas.salesperson)
    client = en_client(personas.salesperson)
    page = client.get(f"/duplicates/scans/{scan.pk}/")
    assert record_links(page) == [
        f"/leads/{pk}/"
        for pk in [*ids(world["s1"], world["s2"], world["t1"]), *ids(world["a1"], world["a2"])]
    ]
    # The salesperson may not merge (merging archives: the right to delete); the manager may.
    assert 'data-testid="merge-button"' not in page.content.decode()
    # t1 moves to the other team: out of the salesperson's sight; a2 is merged into a1.
    Lead.objects.filter(pk=world["t1"].pk).update(assigned_to=personas.outsider, team=None,
                                                  created_by=personas.outsider)  # fmt: skip
    Lead.objects.filter(pk=world["a2"].pk).update(merged_into=world["a1"])
    page = client.get(f"/duplicates/scans/{scan.pk}/")
    assert record_links(page) == [
        f"/leads/{pk}/" for pk in ids(world["s1"], world["s2"], world["a1"])
    ]
    assert "1 more record you do not see." in text(page)
    assert text(page).count('data-testid="group-merged"') == 1
    flags = dict(DuplicateGroup.objects.values_list("key", "merged"))
    assert flags == {"dupont jean · morel": False, "anne durand · acme": True}
    # A merge undone: the group is to do again.
    Lead.objects.filter(pk=world["a2"].pk).update(merged_into=None)
    client.get(f"/duplicates/scans/{scan.pk}/")
    assert not DuplicateGroup.objects.filter(merged=True).exists()


def test_managers_get_a_merge_button_per_group_with_its_records(personas, world):
    scan = run(personas.manager)
    page = en_client(personas.manager).get(f"/duplicates/scans/{scan.pk}/").content.decode()
    forms = re.findall(r'action="/duplicates/merge/lead/".*?</form>', page, re.S)
    assert len(forms) == 2
    merged = sorted(int(pk) for pk in re.findall(r'name="ids" value="(\d+)"', forms[0]))
    assert merged == ids(world["s1"], world["s2"], world["t1"], world["o1"])


def test_groups_page_by_twenty_largest_first(personas, world):
    scan = run(personas.administrator)
    DuplicateGroup.objects.filter(scan=scan).delete()
    pks = [world[k].pk for k in ("s1", "s2", "t1", "o1")]
    DuplicateGroup.objects.bulk_create(
        DuplicateGroup(scan=scan, key=f"g{n:02d}", size=2 + n % 3, record_ids=pks[: 2 + n % 3])
        for n in range(25)
    )
    client = en_client(personas.administrator)
    first = client.get(f"/duplicates/scans/{scan.pk}/").content.decode()
    sizes = [int(s) for s in re.findall(r'data-testid="group" data-size="(\d+)"', first)]
    assert len(sizes) == 20 and sizes == sorted(sizes, reverse=True)
    found = re.search(r'href="\?cursor=([\d-]+)"', first)
    assert found is not None
    cursor = found.group(1)
    rest = client.get(f"/duplicates/scans/{scan.pk}/", {"cursor": cursor},
                      headers={**HTMX, "HX-Target": "groups"})  # fmt: skip
    keys = re.findall(r'data-testid="group-key">(g\d+)<', rest.content.decode())
    assert len(keys) == 5 and "<html" not in rest.content.decode()
    shown = re.findall(r'data-testid="group-key">(g\d+)<', first) + keys
    assert sorted(shown) == [f"g{n:02d}" for n in range(25)]
    # A forged cursor shows the first page.
    assert client.get(f"/duplicates/scans/{scan.pk}/", {"cursor": "x-'1"}).status_code == 200


def test_results_query_count_is_pinned(personas, world, django_assert_num_queries):
    scan = run(personas.manager)
    client = en_client(personas.manager)
    client.get(f"/duplicates/scans/{scan.pk}/")  # the groups' merged flags settle
    # 1. the session, 2. the user, 3. the memberships with their company and CRM settings,
    # 4. the user's team ids, 5. the check with who started it, 6. the page of groups, 7. the
    # groups' records not merged, with their assignee and whether the user sees each.
    with django_assert_num_queries(7):
        response = client.get(f"/duplicates/scans/{scan.pk}/")
    assert len(record_links(response)) == 6
    # A record merged since: 8. the savepoint, 9. the groups now merged are marked, 10. the
    # savepoint's release.
    Lead.objects.filter(pk=world["a2"].pk).update(merged_into=world["a1"])
    with django_assert_num_queries(10):
        client.get(f"/duplicates/scans/{scan.pk}/")


def test_checks_list_query_count_is_pinned(personas, world, django_assert_num_queries):
    for _n in range(3):
        run(personas.administrator)
    client = en_client(personas.administrator)
    # 1-4. session, user, memberships, team ids; 5. the page of checks with who started each.
    with django_assert_num_queries(5):
        response = client.get("/duplicates/scans/")
    assert text(response).count('data-testid="scan-row"') == 3
