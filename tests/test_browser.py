"""Through a real browser: Debian's Chromium driven by Playwright against the live server.

The live server serves the static files (static/vendor is filled by `make assets`), so these
tests also prove that the pages work under the Content-Security-Policy with no console error.
Set PISTE_SCREENSHOT_DIR to keep screenshots of the pages they reach.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the real names for annotations; at run time the module may be missing
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response

from piste.core.models import Tag
from piste.core.rights import Role
from piste.core.testing import PASSWORD, Personas
from piste.users.models import Membership, User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps dialling out, and there is no network to reach.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
    ),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; Django refuses database access
    # from a thread with a running loop unless told that this is safe, which it is here: the
    # tests' own queries never run inside the loop. Set for as long as Playwright runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


OPENED = re.compile(r"(^|\s)show(\s|$)")


class Console:
    """Everything the page reports as wrong: console errors (CSP violations among them),
    uncaught exceptions and failed requests."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_request_failed(self, request: Request) -> None:
        # A request the browser itself abandons when the page navigates away (a favicon still
        # loading when a form is submitted) is no failure of the page.
        if request.failure == "net::ERR_ABORTED":
            return
        self.errors.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            self.errors.append(f"console {message.type}: {message.text} at {message.location}")


def _page(browser: Browser, **context_args) -> tuple[Page, Console]:
    context = browser.new_context(locale="fr-FR", **context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return page, Console(page)


def _screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("PISTE_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sign_in(page: Page, base_url: str, user: User) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=sign-in]")
    expect(page).to_have_url(f"{base_url}/")
    expect(page.locator("[data-testid=user-menu]")).to_contain_text(str(user))


def test_administrator_switches_language_and_company_then_creates_a_tag(
    browser, live_server, transactional_db, personas: Personas
):
    administrator = personas.administrator
    Membership.objects.create(
        user=administrator, company=personas.other_company, role=Role.ADMINISTRATOR
    )
    page, console = _page(browser, viewport={"width": 1280, "height": 900})

    # Sign in through the form; the browser asks for French, Piste's default.
    _sign_in(page, live_server.url, administrator)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Accueil", exact=True)).to_be_visible()

    # The language switcher turns the pages to English.
    page.click("[data-testid=language-switcher]")
    page.click("[data-testid=language-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-testid=nav-config]")).to_have_text("Configuration")
    expect(page.get_by_role("link", name="Home", exact=True)).to_be_visible()
    expect(page.locator("[data-testid=logout]")).to_have_text("Sign out")

    # The company switcher moves the administrator to the other company.
    switcher = page.locator("[data-testid=company-switcher]")
    expect(switcher).to_contain_text(personas.company.name)
    switcher.click()
    page.get_by_role("button", name=personas.other_company.name).click()
    expect(switcher).to_contain_text(personas.other_company.name)
    expect(page.locator(".alert-success")).to_contain_text(
        f"You now work in {personas.other_company.name}."
    )

    # Configuration → Tags → New: a coloured tag, saved and listed.
    page.click("[data-testid=nav-config]")
    page.click("[data-testid=config-tags]")
    page.click("[data-testid=new]")
    page.fill("#id_name", "Salon 2026")
    page.fill("#id_color", "#ff8800")
    page.click("[data-testid=save]")
    expect(page).to_have_url(f"{live_server.url}/config/tags/")
    expect(page.locator(".alert-success")).to_contain_text("Salon 2026")
    row = page.locator("tbody tr", has_text="Salon 2026")
    expect(row).to_have_count(1)
    # The badge is painted by app.js from its data attribute: the script ran under the CSP.
    expect(row.locator("[data-color]")).to_have_css("background-color", "rgb(255, 136, 0)")
    _screenshot(page, "tags")

    tag = Tag.objects.get(name="Salon 2026")
    assert tag.company_id == personas.other_company.pk
    assert tag.color == "#ff8800"

    # And back to French.
    page.click("[data-testid=language-switcher]")
    page.click("[data-testid=language-fr]")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Accueil", exact=True)).to_be_visible()
    expect(page.locator("tbody tr", has_text="Salon 2026")).to_have_count(1)

    assert console.errors == []
    page.context.close()


def test_navigation_collapses_into_a_menu_on_a_phone(
    browser, live_server, transactional_db, personas: Personas
):
    page, console = _page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    _sign_in(page, live_server.url, personas.administrator)

    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#main-nav")
    expect(toggler).to_be_visible()
    expect(menu).to_be_hidden()
    expect(page.locator("[data-testid=nav-config]")).to_be_hidden()

    toggler.click()
    # Bootstrap ignores clicks while the menu slides: wait until it has opened.
    expect(menu).to_have_class(OPENED)
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(page.locator("[data-testid=nav-config]")).to_be_visible()
    _screenshot(page, "phone-menu")

    toggler.click()
    expect(menu).not_to_have_class(OPENED)
    expect(menu).to_be_hidden()

    assert console.errors == []
    page.context.close()
