"""A web form in a real browser: the administrator builds it in French, a site on another
origin shows it in an iframe, a visitor sends it and a lead appears. Under the
Content-Security-Policy; a site not allowed cannot frame it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from piste.core.testing import Personas, free_port
from piste.leads.models import Lead
from piste.webforms.models import WebForm, WebFormSubmission
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


@pytest.fixture
def other_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A customer's site: static pages on another origin (127.0.0.1, Piste is on localhost)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()
    server.server_close()


def test_a_form_built_in_piste_sends_a_lead_from_another_site(
    browser, live_server, transactional_db, personas: Personas, other_site
):
    site, folder = other_site
    page, console = _page(browser, viewport={"width": 1300, "height": 1000})
    _sign_in(page, live_server.url, personas.administrator)

    page.goto(f"{live_server.url}/config/web-forms/new/")
    page.fill("#id_name", "Contact site")
    page.check("#id_ask_email")
    page.check("#id_required_email")
    page.check("#id_ask_message")
    page.fill("#id_consent_text_1", "J'accepte d'être recontacté")
    page.check("#id_consent_required_1")
    page.fill("#id_allowed_origins", site)
    page.fill("#id_thank_you_message", "Merci pour votre message")
    page.click("[data-testid=save]")
    snippet = page.locator("[data-testid=snippet-iframe]").input_value()
    assert "/forms/" in snippet and "<iframe" in snippet
    _screenshot(page, "webform-config")
    assert console.errors == []
    webform = WebForm.objects.get()

    head = '<!doctype html><link rel="icon" href="data:,">'
    (folder / "allowed.html").write_text(f"{head}<h1>Nous contacter</h1>{snippet}")
    page.goto(f"{site}/allowed.html")
    frame = page.frame_locator("iframe")
    frame.locator("#id_last_name").fill("Fournier")
    frame.locator("#id_email").fill("isabelle@fournier.test")
    frame.locator("#id_message").fill("Rappelez-moi")
    # The required consent, unticked: the page says so, nothing is written.
    frame.locator("[data-testid=webform-submit]").click()
    expect(frame.locator(".invalid-feedback")).to_be_visible()
    assert not Lead.objects.exists()
    frame.locator("#id_consent_c1").check()
    frame.locator("[data-testid=webform-submit]").click()
    expect(frame.locator("[data-testid=webform-done]")).to_contain_text("Merci pour votre message")
    _screenshot(page, "webform-sent")
    lead = Lead.objects.get()
    assert (lead.last_name, lead.email) == ("Fournier", "isabelle@fournier.test")
    assert WebFormSubmission.objects.get().consents["c1"]["given"] is True
    assert console.errors == []

    # A site not in the list: the browser refuses to show the form in its page.
    webform.allowed_origins = ["https://www.durand.test"]
    webform.save(update_fields=["allowed_origins"])
    blocked, blocked_console = _page(browser)
    blocked.goto(f"{site}/allowed.html")
    for _ in range(50):
        if any("frame-ancestors" in error for error in blocked_console.errors):
            break
        blocked.wait_for_timeout(100)
    assert any("frame-ancestors" in error for error in blocked_console.errors)
    expect(blocked.frame_locator("iframe").locator("#id_last_name")).to_have_count(0)
