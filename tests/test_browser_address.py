"""Address entry in a real browser: the city combobox of static/piste/address.js on the company
form, with the keyboard alone and with the mouse, under the Content-Security-Policy."""

from __future__ import annotations

import pytest

from piste.core.testing import Personas
from piste.geo.models import Address
from piste.geo.tests.test_address import make_referential
from piste.users.models import Company
from tests import test_browser
from tests.test_browser import Console, _page, _screenshot, _sign_in, expect

# The main browser tests' Chromium (same flags), as this module's fixture.
browser = test_browser.browser

pytestmark = [pytest.mark.browser]

POSTAL = "#id_address-postal_code"
CITY = "#id_address-city_name"
CITY_ID = "#id_address-city"
DEPARTMENT = "#address-department"
COUNTRY = "#id_address-country"
LISTBOX = "#address-city-suggestions"


def _no_errors(console: Console) -> None:
    assert console.errors == [], console.errors


def test_keyboard_alone_fills_an_address_from_a_postal_code(
    browser, live_server, transactional_db, personas: Personas
):
    ref = make_referential()
    page, console = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url, personas.administrator)
    page.goto(f"{live_server.url}/config/companies/{personas.company.pk}/")

    page.focus("#id_address-line1")
    page.keyboard.type("12 rue de la Roquette")
    for _ in range(3):  # lines 2 and 3, then the postal code
        page.keyboard.press("Tab")
    expect(page.locator(POSTAL)).to_be_focused()
    page.keyboard.type("7501")
    options = page.locator(f"{LISTBOX} [role=option]")
    expect(page.locator(LISTBOX)).to_be_visible()
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("75010")
    expect(options.nth(1)).to_contain_text("Paris 11e Arrondissement")
    expect(page.locator(POSTAL)).to_have_attribute("aria-expanded", "true")
    _screenshot(page, "address-suggestions")

    page.keyboard.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(page.locator(POSTAL)).to_have_attribute(
        "aria-activedescendant", "address-city-suggestions-1"
    )
    page.keyboard.press("Enter")  # chooses; does not submit the form

    expect(page.locator(LISTBOX)).to_be_hidden()
    expect(page.locator(POSTAL)).to_have_attribute("aria-expanded", "false")
    expect(page.locator(POSTAL)).to_have_value("75011")
    expect(page.locator(CITY)).to_have_value("Paris 11e Arrondissement")
    expect(page.locator(CITY_ID)).to_have_value(str(ref.paris_11.pk))
    expect(page.locator(DEPARTMENT)).to_have_value("75 Paris")
    expect(page.locator(COUNTRY)).to_have_value("FR")
    expect(page).to_have_url(f"{live_server.url}/config/companies/{personas.company.pk}/")
    _screenshot(page, "address-chosen")

    page.keyboard.press("Enter")  # the list is closed: Enter submits the form
    expect(page).to_have_url(f"{live_server.url}/config/companies/")
    expect(page.locator(".alert-success")).to_be_visible()
    address = Company.objects.get(pk=personas.company.pk).address
    assert address is not None
    assert (address.line1, address.postal_code, address.city_name) == (
        "12 rue de la Roquette",
        "75011",
        "Paris 11e Arrondissement",
    )
    assert address.city_id == ref.paris_11.pk and address.country_id == ref.france.pk
    _no_errors(console)


def test_mouse_choice_then_free_text_city(
    browser, live_server, transactional_db, personas: Personas
):
    ref = make_referential()
    page, console = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url, personas.administrator)
    page.goto(f"{live_server.url}/config/companies/{personas.company.pk}/")

    # A name, accents ignored; Escape closes the list.
    page.click(CITY)
    page.keyboard.type("montréui")
    options = page.locator(f"{LISTBOX} [role=option]")
    expect(options.first).to_contain_text("93100")
    page.keyboard.press("Escape")
    expect(page.locator(LISTBOX)).to_be_hidden()
    # ArrowDown opens it again; a click chooses.
    page.keyboard.press("ArrowDown")
    expect(page.locator(LISTBOX)).to_be_visible()
    page.locator(f"{LISTBOX} [role=option]", has_text="Montreuil-Bellay").click()
    expect(page.locator(CITY)).to_have_value("Montreuil-Bellay")
    expect(page.locator(POSTAL)).to_have_value("49260")
    expect(page.locator(CITY_ID)).to_have_value(str(ref.montreuil_bellay.pk))
    expect(page.locator(DEPARTMENT)).to_have_value("49 Maine-et-Loire")

    # Typing in the city afterwards makes it free text: the referential's city is forgotten.
    page.focus(CITY)
    page.keyboard.press("End")
    page.keyboard.type(" Centre")
    expect(page.locator(CITY_ID)).to_have_value("")
    expect(page.locator(DEPARTMENT)).to_have_value("")
    page.keyboard.press("Escape")
    page.click("main button.btn-primary[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/config/companies/")
    address = Address.objects.get()
    assert (address.city_id, address.city_name, address.postal_code) == (
        None,
        "Montreuil-Bellay Centre",
        "49260",
    )
    _no_errors(console)
