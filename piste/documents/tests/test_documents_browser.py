"""Documents and printing in a real browser, on a lead page: a file dropped on the Documents
tab's zone « Déposer un document » is listed, downloaded with a click and removed with
« Supprimer »; « Éditer » with « Associer le document » downloads the lead report and lists it,
all under the Content-Security-Policy with no console error."""

from __future__ import annotations

from pathlib import Path

import pytest

from piste.core.testing import Personas
from piste.documents.models import Document
from piste.leads.tests.factories import make_lead
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _drop(page, selector: str, name: str, text: str) -> None:
    """Drop a file on ``selector`` as a desktop's file manager would: dragenter, dragover and
    drop events carrying a DataTransfer that holds the file."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "application/pdf" }));
            return transfer;
        }""",
        [name, text],
    )
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, kind, {"dataTransfer": transfer})


def test_drop_download_print_attach_and_delete_on_a_lead(
    browser, live_server, transactional_db, personas: Personas
):
    lead = make_lead(
        personas.salesperson, last_name="Dupont", first_name="Jean", enterprise_name="Boulangerie"
    )
    page, console = _page(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    _sign_in(page, live_server.url, personas.salesperson)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    # The paperclip opens the Documents tab, whose pane shows the drop zone.
    page.click("[data-testid=paperclip]")
    zone = page.locator("[data-testid=drop-zone]")
    expect(zone).to_be_visible()
    expect(page.locator("[data-testid=documents-submit]")).to_be_hidden()  # JS sends at once

    _drop(page, "[data-testid=drop-zone]", "devis signé.pdf", "%PDF-1.4 devis")
    row = page.locator("[data-testid=document]").filter(has_text="devis_signé.pdf")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Salesperson Test")

    # A click on its name downloads it.
    with page.expect_download() as download_info:
        row.locator("[data-testid=document-link]").click()
    download = download_info.value
    assert download.suggested_filename == "devis_signé.pdf"
    assert Path(download.path()).read_bytes() == b"%PDF-1.4 devis"

    # A refused type is reported in place, nothing added.
    _drop(page, "[data-testid=drop-zone]", "virus.exe", "MZ")
    expect(page.locator("[data-testid=document-errors]")).to_contain_text("exe")
    expect(page.locator("[data-testid=document]")).to_have_count(1)

    # Print: the dialog opens in place; attach ticked, the PDF downloads and is listed.
    page.click("[data-testid=print]")
    dialog = page.locator("[data-testid=print-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=template]").select_option("builtin-lead-en")
    dialog.locator("input[name=attach]").check()
    with page.expect_download() as download_info:
        dialog.locator("[data-testid=print-submit]").click()
    printed = download_info.value
    assert printed.suggested_filename.startswith("Lead Dupont Jean-Boulangerie-")
    assert printed.suggested_filename.endswith(".pdf")
    assert Path(printed.path()).read_bytes().startswith(b"%PDF")
    expect(page.locator("[data-testid=document]")).to_have_count(2)
    expect(page.locator("[data-testid=document]").first).to_contain_text("Lead Dupont Jean")
    _screenshot(page, "documents-tab")

    # « Supprimer » from the document's menu.
    row = page.locator("[data-testid=document]").filter(has_text="devis_signé.pdf")
    row.locator("[data-testid=document-menu]").click()
    row.locator("[data-testid=document-delete]").click()
    expect(page.locator("[data-testid=document]")).to_have_count(1)
    assert list(Document.objects.values_list("name", flat=True)) == [printed.suggested_filename]
    assert console.errors == [], console.errors
