"""The API documentation page works offline under the Content-Security-Policy: Swagger UI from
static/vendor, no CDN, no console error, the operations listed."""

from __future__ import annotations

import pytest

from piste.core.testing import Personas
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_docs_page_shows_the_api_offline_without_console_errors(
    browser, live_server, transactional_db, personas: Personas
):
    page, console = _page(browser)
    _sign_in(page, live_server.url, personas.administrator)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Piste API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/leads").count() >= 1
    _screenshot(page, "api_docs")
    assert outside == [], outside
    assert console.errors == [], console.errors


def test_docs_html_names_no_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "piste/api_docs.js" in html
    assert "cdn" not in html.lower() and "<script>" not in html
