"""The prospect workflow in a real browser: the status bar's clicks (HTMX swap, then saving the
form without a conflict), the Lose dialog, and the kanban's drag and drop (a move saved, a drop
on Lost refused and snapped back), all under the Content-Security-Policy with no console error."""

from __future__ import annotations

import pytest
from django.utils import translation

from piste.core.testing import Personas
from piste.leads.models import LostReason
from piste.partners.models import Partner, PartnerStatus
from piste.partners.services_prospects import lose_elsewhere_message
from piste.partners.tests.factories import make_partner
from piste.users.models import CrmSettings
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _drag(page, source, target) -> None:
    """Press on ``source``, move in small steps (SortableJS follows the pointer), rest over
    ``target`` a moment (a fast pointer crossing other columns may leave the card in one of
    them), release."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 10, y + 10, steps=5)
    to_x, to_y = end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 40)
    page.mouse.move(to_x, to_y, steps=25)
    page.wait_for_timeout(150)
    page.mouse.move(to_x + 3, to_y + 3, steps=3)
    page.wait_for_timeout(150)
    page.mouse.up()


def _on(personas: Personas) -> None:
    CrmSettings.objects.filter(company=personas.company).update(manage_prospect_statuses=True)


def test_status_bar_moves_then_the_form_still_saves_and_lose_asks_a_reason(
    browser, live_server, transactional_db, personas: Personas
):
    _on(personas)
    partner = make_partner(personas.salesperson, name="Boulangerie Morel")
    LostReason.objects.create(company=personas.company, name="Trop cher", comment_required=True)
    nurturing = PartnerStatus.objects.get(company=personas.company, sequence=40)
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/partners/{partner.pk}/")
    page.click(f"[data-testid=prospect-status-{nurturing.pk}]")
    expect(page.locator(f"[data-testid=prospect-status-{nurturing.pk}]")).to_have_attribute(
        "aria-current", "step"
    )
    expect(page.locator("#id_version")).to_have_value("2")
    # The form saves over the new status: no "someone else saved" conflict.
    page.fill("#id_name", "Boulangerie Morel et fils")
    page.click("[data-testid=save]")
    expect(page.locator("[data-testid=partner-name]")).to_contain_text("Morel et fils")
    saved = Partner.objects.get(pk=partner.pk)
    assert saved.status_id == nurturing.pk and saved.name == "Boulangerie Morel et fils"

    lost = PartnerStatus.objects.get(company=personas.company, role="lost")
    page.click(f"[data-testid=prospect-status-{lost.pk}]")
    dialog = page.locator("[data-testid=prospect-lose-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=reason]").select_option(label="Trop cher")
    expect(dialog.locator("textarea[name=comment]")).to_be_visible()
    dialog.locator("textarea[name=comment]").fill("Budget gelé")
    _screenshot(page, "prospect-lose")
    dialog.locator("[data-testid=confirm-lose]").click()
    expect(page.locator("[data-testid=prospect-lost-info]")).to_contain_text("Budget gelé")
    assert Partner.objects.get(pk=partner.pk).status_id == lost.pk
    assert console.errors == [], console.errors


def test_kanban_drag_moves_and_a_drop_on_lost_snaps_back(
    browser, live_server, transactional_db, personas: Personas
):
    _on(personas)
    dragged = make_partner(personas.salesperson, name="Menuiserie Bert")
    refused = make_partner(personas.salesperson, name="Garage Central")
    statuses = list(PartnerStatus.objects.filter(company=personas.company).order_by("sequence"))
    default, marketing = statuses[0], statuses[1]
    lost = next(s for s in statuses if s.role == "lost")
    page, console = _page(browser, viewport={"width": 1700, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/prospects/kanban/")
    expect(page.locator(f"[data-kanban-figures='{default.pk}']")).to_have_text("2")
    card = page.locator(f"[data-kanban-card][data-id='{dragged.pk}']")
    _drag(page, card.locator("[data-testid=card-owner]"), page.locator(
        f"[data-kanban-column='{marketing.pk}']"))  # fmt: skip
    expect(
        page.locator(f"[data-kanban-column='{marketing.pk}'] [data-id='{dragged.pk}']")
    ).to_be_visible()
    expect(page.locator(f"[data-kanban-figures='{marketing.pk}']")).to_have_text("1")
    expect(page.locator(f"[data-kanban-figures='{default.pk}']")).to_have_text("1")
    expect(page.locator(f"[data-kanban-card][data-id='{dragged.pk}'].kanban-busy")).to_have_count(0)
    assert Partner.objects.get(pk=dragged.pk).status_id == marketing.pk

    _drag(
        page,
        page.locator(f"[data-kanban-card][data-id='{refused.pk}'] [data-testid=card-owner]"),
        page.locator(f"[data-kanban-column='{lost.pk}']"),
    )
    # The page speaks the user's language (French unless they chose otherwise).
    with translation.override(personas.salesperson.language or "fr"):
        refusal = lose_elsewhere_message()
    expect(page.locator("[data-kanban-status]")).to_contain_text(refusal)
    expect(
        page.locator(f"[data-kanban-column='{default.pk}'] [data-id='{refused.pk}']")
    ).to_be_visible()
    _screenshot(page, "prospect-kanban")
    assert Partner.objects.get(pk=refused.pk).status_id == default.pk
    # The refusal is an answer (409), not a failure of the page.
    errors = [e for e in console.errors if "/move/" not in e]
    assert errors == [], console.errors
