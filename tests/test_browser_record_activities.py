"""A salesperson's day on one lead, in a real browser (issue 8's proof): a call planned from the
lead's row in the list, an email with an attachment written from the lead and received by a
real SMTP server on loopback, a file dropped on the Documents tab, the lead report printed with
« Associer le document ». Under the Content-Security-Policy, with no console error."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from piste.activities.models import Event
from piste.core.testing import Personas
from piste.documents.models import Document
from piste.documents.tests.test_documents_browser import _drop
from piste.emails.models import Email
from piste.emails.tests.conftest import immediate_huey  # noqa: F401 (a fixture)
from piste.emails.tests.support import make_template
from piste.leads.tests.factories import make_lead
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _attachments(message: Message) -> dict[str, Any]:
    return {
        str(part.get_filename()): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }


def test_call_email_document_and_printed_report_on_one_lead(
    browser,
    live_server,
    transactional_db,
    personas: Personas,
    smtp,
    immediate_huey,  # noqa: F811
    tmp_path,
):
    lead = make_lead(
        personas.salesperson,
        first_name="Isabelle",
        last_name="Fournier",
        enterprise_name="Boulangerie Fournier",
        email="isabelle@fournier.test",
    )
    make_template(personas.company)
    page, console = _page(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    _sign_in(page, live_server.url, personas.salesperson)

    # 1. Plan a call from the lead's row (the group icon), back on the list after saving.
    page.goto(f"{live_server.url}/leads/open/")
    page.locator(f"tr[data-row='{lead.pk}'] [data-testid=row-plan-event]").click()
    page.select_option("#id_kind", "call")
    start = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    page.fill("#id_subject", "Appel de qualification")
    page.fill("#id_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_end", (start + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.click("[data-testid=save-event]")
    expect(page).to_have_url(f"{live_server.url}/leads/open/")
    call = Event.objects.get()
    assert (call.kind, call.lead_id, call.start) == ("call", lead.pk, start)

    # The lead's page shows it as its next scheduled event.
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.locator("[data-testid=next-event-date] time")).to_have_attribute(
        "datetime", start.isoformat()
    )
    expect(page.locator("[data-testid=pane-upcoming]")).to_contain_text("Appel de qualification")

    # 2. An email from the lead, its default template filled in, with an attachment.
    page.click("[data-testid=new-email]")
    expect(page.locator("#id_subject")).to_have_value("Bonjour Isabelle")
    quote = tmp_path / "devis.pdf"
    quote.write_bytes(b"%PDF-1.4 devis Fournier")
    page.set_input_files("#id_attachments", str(quote))
    page.click("[data-testid=send]")
    expect(page).to_have_url(f"{live_server.url}/leads/{lead.pk}/")
    assert Email.objects.get().state == "sent"
    [envelope] = smtp.envelopes
    assert envelope.rcpt_tos == ["isabelle@fournier.test"]
    received = message_from_bytes(envelope.content)
    assert received["Subject"] == "Bonjour Isabelle"
    assert _attachments(received) == {"devis.pdf": b"%PDF-1.4 devis Fournier"}
    page.click("[data-testid=tab-emails]")
    expect(page.locator("[data-testid=emails-pane]")).to_contain_text("Bonjour Isabelle")

    # 3. A file dropped on the Documents tab's zone is listed.
    page.click("[data-testid=tab-documents]")
    expect(page.locator("[data-testid=drop-zone]")).to_be_visible()
    _drop(page, "[data-testid=drop-zone]", "plan d'accès.pdf", "%PDF-1.4 plan")
    expect(page.locator("[data-testid=document]")).to_have_count(1)

    # 4. The lead report, « Associer le document » ticked: it downloads and joins the documents.
    page.click("[data-testid=print]")
    dialog = page.locator("[data-testid=print-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=attach]").check()
    with page.expect_download() as download_info:
        dialog.locator("[data-testid=print-submit]").click()
    printed = download_info.value
    assert Path(printed.path()).read_bytes().startswith(b"%PDF")
    expect(page.locator("[data-testid=document]")).to_have_count(2)
    assert Document.objects.filter(object_id=lead.pk, name=printed.suggested_filename).exists()
    _screenshot(page, "lead-activities")
    assert console.errors == [], console.errors
