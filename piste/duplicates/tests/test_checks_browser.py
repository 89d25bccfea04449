"""Duplicate checks in a real browser: from the lead list's bulk toolbar to the groups, and a
background scan's progress bar giving way to its results. Under the Content-Security-Policy,
with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import Personas
from piste.duplicates import services_checks as services
from piste.duplicates.models import DuplicateScan
from piste.duplicates.tests.checks_support import actor, leads_world
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_check_the_selected_leads_then_open_a_record(
    browser, live_server, transactional_db, personas: Personas
):
    world = leads_world(personas)
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.manager)
    page.goto(f"{live_server.url}/leads/open/")
    for key in ("s1", "s2", "a1"):
        page.check(f"input[data-select-row][value='{world[key].pk}']")
    page.click("[data-testid=bulk-check-duplicates]")
    expect(page).to_have_url(re.compile(r"/duplicates/check/lead/\?ids=\d+&ids=\d+&ids=\d+$"))
    expect(page.locator("[data-testid=scope]")).to_contain_text("3")
    _screenshot(page, "duplicates-check")
    page.click("[data-testid=run-check]")
    expect(page).to_have_url(re.compile(r"/duplicates/scans/\d+/$"))
    expect(page.locator("[data-testid=group]")).to_have_count(1)
    expect(page.locator("[data-testid=record]")).to_have_count(2)
    expect(page.locator("[data-testid=merge-button]")).to_have_count(1)
    _screenshot(page, "duplicates-results")
    page.locator("[data-testid=record-link]").first.click()
    expect(page).to_have_url(f"{live_server.url}/leads/{world['s1'].pk}/")
    assert console.errors == [], console.errors


def test_a_background_scan_shows_its_progress_then_its_groups(
    browser, live_server, transactional_db, personas: Personas, monkeypatch
):
    leads_world(personas)
    monkeypatch.setattr(services, "INLINE_MAX", 2)
    scan = services.duplicate_scan_start(
        actor=actor(personas.administrator), entity="lead", fields=["name"], enqueue=False
    )
    DuplicateScan.objects.filter(pk=scan.pk).update(state="running", processed=3, total=7)
    page, console = _page(browser)
    _sign_in(page, live_server.url, personas.administrator)
    page.goto(f"{live_server.url}/duplicates/scans/{scan.pk}/")
    expect(page.locator("[data-testid=progress]")).to_have_attribute("value", "42")
    _screenshot(page, "duplicates-progress")
    # The worker reads on, then finishes: the bar follows, then the page shows the groups.
    DuplicateScan.objects.filter(pk=scan.pk).update(processed=6)
    expect(page.locator("[data-testid=progress]")).to_have_attribute("value", "85")
    DuplicateScan.objects.filter(pk=scan.pk).update(state="queued")
    services.duplicate_scan_run(scan.pk)
    expect(page.locator("[data-testid=group]")).to_have_count(2)
    expect(page.locator("[data-testid=scan-progress]")).to_have_count(0)
    assert console.errors == [], console.errors


def test_merge_two_leads_from_the_duplicate_check_then_undo(
    browser, live_server, transactional_db, personas: Personas
):
    from piste.leads.models import Lead

    world = leads_world(personas)
    a1, a2 = world["a1"], world["a2"]
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.manager)
    page.goto(f"{live_server.url}/leads/open/")
    for key in ("a1", "a2"):
        page.check(f"input[data-select-row][value='{world[key].pk}']")
    page.click("[data-testid=bulk-check-duplicates]")
    page.click("[data-testid=run-check]")
    expect(page.locator("[data-testid=group]")).to_have_count(1)
    page.locator("[data-testid=merge-button] button").click()
    expect(page).to_have_url(re.compile(r"/duplicates/merge/lead/\?"))
    # Keep the second lead, with the first one's company name.
    page.check(f"[data-testid=survivor-{a2.pk}]")
    page.locator(f"[data-testid=merge-row-enterprise_name] input[value='{a1.pk}']").check()
    _screenshot(page, "duplicates-merge")
    page.click("[data-testid=merge-submit]")
    expect(page).to_have_url(f"{live_server.url}/leads/{a2.pk}/")
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert a1.merged_into_id == a2.pk and a2.merged_into_id is None
    assert a2.enterprise_name == "Acme"
    # The archived lead's page sends to the survivor.
    page.goto(f"{live_server.url}/leads/{a1.pk}/")
    expect(page).to_have_url(f"{live_server.url}/leads/{a2.pk}/")
    # Undo from the merge history gives both leads back as they were.
    page.goto(f"{live_server.url}/duplicates/merges/")
    page.locator("[data-testid^=merge-undo-]").first.click()
    expect(page.locator("[data-testid=merge-undone]")).to_have_count(1)
    assert Lead.objects.get(pk=a1.pk).merged_into_id is None
    assert Lead.objects.get(pk=a2.pk).enterprise_name == "ACME SAS"
    assert console.errors == [], console.errors
