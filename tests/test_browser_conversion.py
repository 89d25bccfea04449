"""The issue's whole path in a real browser: a lead converted into a new prospect with a new
contact, "Generate an opportunity? Yes" creating the opportunity filled from the lead, then that
opportunity dragged on the portfolio kanban to Closed won, the Win dialog making the prospect a
customer. Under the Content-Security-Policy, with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import Personas
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.partners.models import Contact
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect
from tests.test_browser_opportunities import _drag

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_convert_a_lead_then_win_its_opportunity_on_the_kanban(
    browser, live_server, transactional_db, personas: Personas
):
    manager = personas.manager
    lead = make_lead(
        manager,
        first_name="Claire",
        last_name="Fontaine",
        enterprise_name="Boulangerie Fontaine",
        email="claire@fontaine.example",
    )
    page, console = _page(browser, viewport={"width": 1700, "height": 1000})
    _sign_in(page, live_server.url, manager)

    # The lead page's Convert button opens the wizard: nothing matches, a new prospect and a new
    # contact are the defaults.
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.click("[data-testid=convert]")
    expect(page).to_have_url(f"{live_server.url}/leads/{lead.pk}/convert/")
    expect(page.locator("[data-testid=no-match]")).to_be_visible()
    # The existing-partner picker shows only once "Select an existing partner" is chosen.
    expect(page.locator("#id_partner")).to_be_hidden()
    page.check("#id_partner_choice_1")
    expect(page.locator("#id_partner")).to_be_visible()
    page.check("#id_partner_choice_0")
    _screenshot(page, "lead-convert-wizard")
    page.click("[data-testid=convert-submit]")

    expect(page).to_have_url(f"{live_server.url}/leads/{lead.pk}/converted/")
    expect(page.locator("[data-testid=converted-partner]")).to_have_text("Boulangerie Fontaine")
    expect(page.locator("[data-testid=converted-contact]")).to_have_text("Claire Fontaine")
    lead.refresh_from_db()
    assert lead.partner is not None and lead.partner.is_prospect
    contact = Contact.objects.get(main_partner=lead.partner)
    assert contact.email == "claire@fontaine.example"

    # Generate an opportunity? Yes: the form comes filled from the lead.
    page.click("[data-testid=generate-opportunity]")
    expect(page.locator("[data-testid=from-lead]")).to_be_visible()
    page.fill("#id_amount", "8400")
    page.click("[data-testid=save]")
    expect(page).to_have_url(re.compile(r"/opportunities/\d+/$"))
    opportunity = Opportunity.objects.get(lead=lead)
    assert opportunity.partner_id == lead.partner_id
    assert opportunity.stage.role == OpportunityStage.Role.DEFAULT

    # On the kanban, a drop on Closed won opens Win; Customer is ticked: the prospect becomes one.
    won = OpportunityStage.objects.get(company=personas.company, role=OpportunityStage.Role.WON)
    page.goto(f"{live_server.url}/opportunities/kanban/")
    card = page.locator(f"[data-kanban-card][data-id='{opportunity.pk}']")
    _drag(
        page,
        card.locator("[data-testid=card-partner]"),
        page.locator(f"[data-kanban-column='{won.pk}']"),
    )
    expect(page).to_have_url(re.compile(rf"/opportunities/{opportunity.pk}/win/"))
    page.click("[data-testid=confirm-win]")
    expect(page).to_have_url(re.compile(r"/opportunities/kanban/"))
    expect(
        page.locator(f"[data-kanban-column='{won.pk}'] [data-id='{opportunity.pk}']")
    ).to_be_visible()
    _screenshot(page, "opportunity-won")
    opportunity.refresh_from_db()
    assert opportunity.stage_id == won.pk
    partner = Lead.objects.get(pk=lead.pk).partner
    assert partner is not None and partner.is_customer and not partner.is_prospect
    assert console.errors == [], console.errors
