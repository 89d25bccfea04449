"""A salesperson imports a Windows-1252 semicolon CSV of leads in a real browser (issue 9's
proof): French headers guessed, one column changed, the preview showing the bad email on its
cell, the run and its report, the leads in the list, then the whole import undone. Under the
Content-Security-Policy, with no console error."""

from __future__ import annotations

from pathlib import Path

import pytest

from piste.core.testing import Personas
from piste.emails.tests.conftest import immediate_huey  # noqa: F401 (a fixture)
from piste.imports.models import ImportJob
from piste.leads.models import Lead
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]

CSV = (
    "Nom;Prénom;Société;Email;Téléphone;Ville\r\n"
    "Lefèvre;Hélène;Société Générale;helene@exemple.fr;01 42 00 00 00;Paris\r\n"
    "Durand;Anne;Durand SA;anne.durand@;;Lyon\r\n"
    "Bézier;Noël;Crêperie Noël;noel@exemple.fr;06 12 34 56 78;Quimper\r\n"
)


def test_salesperson_imports_a_windows_1252_csv_then_undoes_it(
    browser,
    live_server,
    transactional_db,
    personas: Personas,
    immediate_huey,  # noqa: F811
    tmp_path: Path,
):
    source = tmp_path / "pistes salon.csv"
    source.write_bytes(CSV.encode("cp1252"))
    page, console = _page(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    _sign_in(page, live_server.url, personas.salesperson)

    # « Mes imports » → « Importer » → Pistes: the upload step.
    page.goto(f"{live_server.url}/imports/")
    # French pages; the wizard's own words are checked by their test ids, not their catalog.
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.click("[data-testid=import-menu]")
    page.click("[data-testid=import-leads]")
    expect(page).to_have_url(f"{live_server.url}/imports/new/?entity=leads")
    expect(page.locator("#id_entity")).to_have_value("leads")
    page.set_input_files("#id_file", str(source))
    page.click("[data-testid=upload]")

    # The mapping guessed from the French headers, the encoding and separator found.
    job = ImportJob.objects.get()
    expect(page).to_have_url(f"{live_server.url}/imports/{job.pk}/")
    expect(page.locator("[data-testid=file-facts]")).to_contain_text("cp1252")
    guessed = ["last_name", "first_name", "enterprise_name", "email", "fixed_phone", "address_city"]
    for index, field in enumerate(guessed):
        expect(page.locator(f"#id_column-{index}")).to_have_value(field)
    preview = page.locator("[data-testid=preview-table]")
    expect(preview).to_contain_text("Hélène")
    expect(preview).to_contain_text("Société Générale")

    # One column changed: the town is not imported; the preview follows (HTMX) and still shows
    # the bad email on its cell.
    with page.expect_response(lambda r: r.url.endswith(f"/imports/{job.pk}/preview/")) as sent:
        page.select_option("#id_column-5", "")
    assert sent.value.status == 200
    bad = page.locator("[data-testid=cell-problem]")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("anne.durand@")
    expect(page.locator("[data-testid=preview-row][data-line='3']")).to_have_class("table-warning")
    _screenshot(page, "import-mapping")

    # Start: the queue runs it at once here; the report shows created 2, errors 1.
    page.click("[data-testid=start]")
    expect(page.locator("[data-testid=report]")).to_be_visible()
    expect(page.locator("[data-testid=created]")).to_have_text("2")
    expect(page.locator("[data-testid=errors]")).to_have_text("1")
    expect(page.locator("[data-testid=rejected]")).to_be_visible()
    with page.expect_download() as download_info:
        page.click("[data-testid=rejected]")
    rejected = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    assert "anne.durand@" in rejected
    _screenshot(page, "import-report")

    lead = Lead.objects.get(email="helene@exemple.fr")
    assert (lead.first_name, lead.enterprise_name, lead.city_name) == (
        "Hélène",
        "Société Générale",
        "",
    )
    page.goto(f"{live_server.url}/leads/open/")
    expect(page.locator(f"tr[data-row='{lead.pk}']")).to_contain_text("Lefèvre")
    expect(page.locator("main")).to_contain_text("Bézier")

    # « Annuler l'import », confirmed: the leads are gone.
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=undo]")
    expect(page.locator("[data-testid=undone]")).to_be_visible()
    assert not Lead.objects.exists()
    page.goto(f"{live_server.url}/leads/open/")
    expect(page.locator("main")).not_to_contain_text("Lefèvre")
    expect(page.locator("main")).not_to_contain_text("Bézier")
    assert console.errors == [], console.errors
