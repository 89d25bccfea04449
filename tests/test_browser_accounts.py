"""Accounts & contacts in a real browser: three letters typed on the accounts page and a result
picked with the keyboard; a prospect created from a SIRET looked up in SIRENE (a local server
answering INSEE's real JSON), validated, and given a contact; under the Content-Security-Policy
with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.testing import Personas
from piste.partners.models import Contact, Partner
from piste.partners.tests.factories import make_contact, make_partner
from piste.partners.tests.test_sirene import SIRET, insee, siret_envelope  # noqa: F401
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_search_pick_create_from_siret_validate_and_add_a_contact(
    browser,
    live_server,
    transactional_db,
    personas: Personas,
    insee,  # noqa: F811
):
    morel = make_partner(personas.manager, name="Boulangeries Morel", is_customer=True)
    make_contact(personas.manager, morel, first_name="Claire", last_name="Morel")
    make_partner(personas.manager, name="Morin Transports")
    insee.add(f"/siret/{SIRET}", 200, siret_envelope())
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.manager)

    # Three letters: the dropdown groups contacts, prospects and customers, matches marked.
    page.goto(f"{live_server.url}/accounts/")
    page.locator("[data-testid=account-search]").press_sequentially("mor", delay=60)
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions.locator("[role=option]")).to_have_count(3)
    expect(suggestions).to_contain_text("Claire Morel")
    expect(suggestions.locator("mark").first).to_have_text(re.compile("mor", re.IGNORECASE))
    _screenshot(page, "accounts-suggestions")
    # The keyboard picks one: down twice, Enter opens it.
    search = page.locator("[data-testid=account-search]")
    search.press("ArrowDown")
    search.press("ArrowDown")
    active = suggestions.locator("[role=option][aria-selected=true]")
    expect(active).to_have_count(1)
    chosen = active.get_attribute("href")
    assert chosen
    expect(search).to_have_attribute("aria-activedescendant", re.compile(r"option-"))
    search.press("Enter")
    expect(page).to_have_url(f"{live_server.url}{chosen}")

    # A new prospect, filled from its SIRET.
    page.goto(f"{live_server.url}/accounts/")
    page.click("[data-testid=new-prospect]")
    page.fill("#id_name", "Durand")
    page.fill("#id_siret", SIRET)
    page.click("[data-testid=sirene-lookup]")
    preview = page.locator("#sirene-preview")
    expect(preview).to_contain_text("ATELIERS DURAND")
    _screenshot(page, "sirene-preview")
    page.click("[data-sirene-apply]")
    expect(page.locator("#id_name")).to_have_value("ATELIERS DURAND")
    page.click("[data-testid=save]")
    expect(page).to_have_url(re.compile(r"/partners/\d+/$"))
    expect(page.locator("[data-testid=partner-kind]")).to_have_text("Prospect brouillon")
    partner = Partner.objects.get(name="ATELIERS DURAND")
    assert (partner.siret, partner.siren, partner.ape_code) == (SIRET, SIRET[:9], "62.02A")
    assert partner.main_address is not None and partner.main_address.postal_code == "75011"

    # Actions → Validate the prospect.
    page.click("[data-testid=actions]")
    page.click("[data-testid=validate-prospect]")
    expect(page.locator("[data-testid=partner-kind]")).to_have_text("Prospect validé")
    # The Activity tab reads the timeline when first opened: who validated, from → to.
    page.click("[data-testid=tab-activity]")
    expect(page.locator("#timeline [data-testid=activity]").first).to_contain_text(
        "Prospect validé"
    )

    # The parent company picker searches the server: "bou" offers Boulangeries Morel.
    page.fill("[data-testid=choices-search-parent]", "bou")
    parent = page.locator("#id_parent")
    expect(parent.locator("option", has_text="Boulangeries Morel")).to_have_count(1)
    parent.select_option(label="Boulangeries Morel")
    page.click("[data-testid=save]")
    expect(page.locator("#id_parent option:checked")).to_have_text("Boulangeries Morel")

    # A contact, from the partner's page.
    page.click("[data-testid=new-contact]")
    page.fill("#id_first_name", "Louise")
    page.fill("#id_last_name", "Durand")
    page.fill("#id_email", "louise.durand@ateliers-durand.fr")
    page.click("[data-testid=save]")
    expect(page).to_have_url(f"{live_server.url}/partners/{partner.pk}/")
    expect(page.locator("[data-testid=contacts]")).to_contain_text("Louise Durand")
    _screenshot(page, "partner-page")
    contact = Contact.objects.get(last_name="Durand")
    assert contact.main_partner == partner and contact.assigned_to == personas.manager
    partner.refresh_from_db()
    assert partner.parent == morel
    assert console.errors == [], console.errors
