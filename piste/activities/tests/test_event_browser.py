"""Events in a real browser, on a lead page: a one-click button opens the form in place, the
save reloads the Events pane and the dates of the Tracking card, Done moves the event to the
past. Under the Content-Security-Policy, with no console error."""

from __future__ import annotations

import pytest
from django.utils import timezone

from piste.activities.models import Event
from piste.activities.tests.factories import at
from piste.core.testing import Personas
from piste.leads.tests.factories import make_lead
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_plan_a_meeting_from_the_lead_page_then_mark_it_done(
    browser, live_server, transactional_db, personas: Personas
):
    lead = make_lead(personas.salesperson, team=personas.north, last_name="Garnier")
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.locator("[data-testid=next-event-date]")).to_have_text("—")
    page.click("[data-testid=new-meeting]")
    dialog = page.locator("[data-testid=event-dialog]")
    expect(dialog).to_be_visible()
    start = timezone.localtime(at(26))
    page.fill("#id_subject", "Démo produit")
    page.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_end", timezone.localtime(at(27)).strftime("%Y-%m-%dT%H:%M"))
    _screenshot(page, "event-dialog")
    page.click("[data-testid=save-event]")
    expect(page.locator("[data-testid=event-saved]")).to_be_visible()
    upcoming = page.locator("[data-testid=pane-upcoming] [data-testid=event-row]")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text("Démo produit")
    expect(page.locator("[data-testid=next-event-date] time")).to_have_attribute(
        "datetime", start.isoformat()
    )
    upcoming.locator("[data-testid=mark-done]").click()
    past = page.locator("[data-testid=pane-past] [data-testid=event-row]")
    expect(past).to_contain_text("Démo produit")
    expect(past.locator("[data-testid=mark-done]")).to_have_count(0)
    expect(page.locator("[data-testid=next-event-date]")).to_have_text("—")
    assert Event.objects.get().status == "done"
    _screenshot(page, "event-pane")
    assert console.errors == [], console.errors
