"""A lead's life in a real browser: created through the form (with a new job title from "+" and
a description in the rich-text editor), moved on the status bar, taken in charge, lost with a
reason and found under Closed leads, under the Content-Security-Policy with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import Personas
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.partners.models import JobTitle
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_a_lead_from_creation_to_closed_leads(
    browser, live_server, transactional_db, personas: Personas
):
    reason = LostReason.objects.create(company=personas.company, name="Budget gelé")
    qualification = LeadStatus.objects.get(company=personas.company, sequence=20)
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.manager)

    page.goto(f"{live_server.url}/leads/new/")
    page.fill("#id_first_name", "Camille")
    page.fill("#id_last_name", "Rousseau")
    page.fill("#id_enterprise_name", "Biscuiterie Nantaise")
    page.fill("#id_fixed_phone", "02 40 12 34 56")
    page.fill("#id_email", "Camille.Rousseau@Biscuiterie.FR")
    # A job title that does not exist yet, created from the field's "+".
    page.click("[data-testid=job-title-add]")
    page.fill("[data-testid=job-title-name]", "Directrice des achats")
    page.click("[data-testid=job-title-save]")
    expect(page.locator("#id_job_title option:checked")).to_have_text("Directrice des achats")
    page.locator("trix-editor").click()
    page.keyboard.type("Besoin de 200 coffrets pour Noël.")
    page.select_option("#id_assigned_to", str(personas.teammate.pk))
    _screenshot(page, "lead-form")
    page.click("[data-testid=save]")

    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get(last_name="Rousseau")
    assert lead.fixed_phone == "+33240123456"
    assert lead.email == "Camille.Rousseau@biscuiterie.fr"
    assert lead.job_title == JobTitle.objects.get(
        company=personas.company, name_key="directrice des achats"
    )
    assert "200 coffrets" in lead.description
    expect(page.locator("[data-testid=lead-name]")).to_contain_text("Camille Rousseau")
    expect(page.locator("[data-testid=phone]")).to_contain_text("02 40 12 34 56")

    # One click on the status bar moves the lead, without reloading the page.
    page.click(f"[data-testid=status-{qualification.pk}]")
    expect(page.locator("[data-testid=lead-status-badge]")).to_contain_text(qualification.name)
    expect(page.locator("#timeline")).to_contain_text(qualification.name)

    page.click("[data-testid=take-charge]")
    expect(page.locator("[data-testid=assigned-to]")).to_contain_text(str(personas.manager))

    page.click("[data-testid=lose]")
    dialog = page.locator("[data-testid=lose-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("select").select_option(str(reason.pk))
    dialog.locator("[data-testid=confirm-lose]").click()
    expect(page.locator("[data-testid=lost-info]")).to_contain_text("Budget gelé")
    _screenshot(page, "lead-lost")

    page.goto(f"{live_server.url}/leads/closed/")
    expect(page.locator("[data-testid=lead-list]")).to_contain_text("Camille Rousseau")
    page.goto(f"{live_server.url}/leads/open/")
    expect(page.locator("[data-testid=lead-list]")).not_to_contain_text("Camille Rousseau")

    lead.refresh_from_db()
    assert lead.assigned_to == personas.manager
    assert lead.lost_reason == reason
    assert lead.status.role == LeadStatus.Role.LOST
    assert console.errors == [], console.errors
