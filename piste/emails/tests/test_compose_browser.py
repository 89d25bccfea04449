"""The compose page in a real browser: the body in the rich-text editor, another language
fills in its default template, a file is attached and the email is queued, under the
Content-Security-Policy with no console error."""

from __future__ import annotations

import pytest

from piste.core.testing import Personas
from piste.emails.models import Email
from piste.emails.tests.support import make_template
from piste.leads.tests.factories import make_lead
from tests import test_browser
from tests.test_browser import _page, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def test_compose_fills_templates_and_queues_the_email_with_its_attachment(
    browser, live_server, transactional_db, personas: Personas, tmp_path
):
    lead = make_lead(personas.salesperson, first_name="Jeanne", last_name="Martin",
                     email="jeanne@lead.test")  # fmt: skip
    make_template(personas.company)
    make_template(personas.company, name="Hello", language="en",
                  subject="Hello {{ lead.first_name }}",
                  body="<div>Dear {{ lead.last_name }}</div>")  # fmt: skip
    page, console = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/emails/for/lead/{lead.pk}/new/")
    assert console.errors == [], console.errors
    # The browser asks for French: the French default template is filled in.
    expect(page.locator("#id_subject")).to_have_value("Bonjour Jeanne")
    expect(page.locator("#id_to")).to_have_value("jeanne@lead.test")
    editor = page.locator("trix-editor")
    expect(editor).to_contain_text("Bonjour Jeanne Martin")

    # Another language: its default template replaces the text at once.
    page.select_option("#id_language", "en")
    expect(page.locator("#id_subject")).to_have_value("Hello Jeanne")
    expect(page.locator("trix-editor")).to_contain_text("Dear Martin")

    page.locator("trix-editor").click()
    page.keyboard.press("End")
    page.keyboard.type(" — see attached.")
    attached = tmp_path / "devis.pdf"
    attached.write_bytes(b"%PDF-1.4 devis")
    page.set_input_files("#id_attachments", str(attached))
    assert console.errors == []
    page.click("[data-testid=send]")
    expect(page).to_have_url(f"{live_server.url}/leads/{lead.pk}/")

    email = Email.objects.get()
    assert email.subject == "Hello Jeanne" and email.to == ["jeanne@lead.test"]
    assert "see attached." in email.body_html
    assert [a.name for a in email.attachments.all()] == ["devis.pdf"]
