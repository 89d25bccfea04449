"""Warnings while typing in a real browser: typing an existing address on the new lead form
shows the likely duplicate in a toast, whose link opens the record in a new tab; closing it keeps
it closed; saving is never blocked. Under the Content-Security-Policy, with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import Personas
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.partners.tests.factories import make_partner
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_typing_an_existing_email_on_the_lead_form_warns_without_blocking(
    browser, live_server, transactional_db, personas: Personas
):
    user = personas.salesperson
    twin = make_lead(user, first_name="Claire", last_name="Fontaine", email="claire@fontaine.fr")
    page, console = _page(browser, viewport={"width": 1400, "height": 900})
    _sign_in(page, live_server.url, user)

    page.goto(f"{live_server.url}/leads/new/")
    toast = page.locator("[data-testid=duplicate-warnings]")
    expect(toast).to_have_count(0)
    page.fill("#id_last_name", "Dupont")
    page.fill("#id_email", "CLAIRE@fontaine.fr")
    match = toast.locator(f"[data-testid=duplicate-match][data-id='{twin.pk}']")
    expect(match).to_be_visible()
    link = match.locator("a")
    expect(link).to_have_attribute("href", f"/leads/{twin.pk}/")
    expect(link).to_have_attribute("target", "_blank")
    _screenshot(page, "lead-duplicate-warning")

    # Closed, it stays closed while the same records match.
    toast.locator("[data-duplicate-warnings-close]").click()
    expect(toast).to_have_count(0)
    page.fill("#id_first_name", "Jeanne")
    page.wait_for_timeout(600)
    expect(toast).to_have_count(0)

    # Saving goes through whatever the warning says.
    page.click("[data-testid=save]")
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    assert Lead.objects.filter(last_name="Dupont", email_key="claire@fontaine.fr").exists()
    assert console.errors == [], console.errors


def test_typing_a_known_company_on_the_partner_form_warns(
    browser, live_server, transactional_db, personas: Personas
):
    user = personas.salesperson
    morel = make_partner(user, name="Morel SARL")
    page, console = _page(browser, viewport={"width": 1400, "height": 900})
    _sign_in(page, live_server.url, user)

    page.goto(f"{live_server.url}/partners/new/")
    page.fill("#id_name", "Morel")
    toast = page.locator("[data-testid=duplicate-warnings]")
    expect(toast.locator(f"[data-entity=partner][data-id='{morel.pk}']")).to_be_visible()
    assert console.errors == [], console.errors
