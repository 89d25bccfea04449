"""The lead kanban in a real browser: a card dragged to another open column is saved there (the
counts follow), a refused drop snaps back with its reason, a drop on the lost column opens the
Lose dialog where the lead is lost with a reason, and a folded column unfolds on a click, all
under the Content-Security-Policy with no console error."""

from __future__ import annotations

import re

import pytest

from piste.core.access import require_actor
from piste.core.testing import Personas
from piste.leads import services
from piste.leads.models import Lead, LeadStatus, LostReason
from piste.leads.tests.factories import make_lead
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _drag(page, source, target) -> None:
    """Press on ``source``, move in small steps (SortableJS follows the pointer), release at
    the bottom of ``target``, below its cards: there SortableJS always appends (over a card it
    may keep the card where it passed before)."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10,
                    steps=5)  # fmt: skip
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] - 4
    page.mouse.move(x, y, steps=20)
    # A pause, then a nudge, as a hand would: SortableJS ignores the pointer while a column it
    # passed over animates (150 ms), and might leave the card there.
    page.wait_for_timeout(300)
    page.mouse.move(x, y - 2, steps=2)
    page.wait_for_timeout(100)
    page.mouse.up()


def _card(page, lead: Lead):
    return page.locator(f"[data-kanban-card][data-id='{lead.pk}']")


def _saved(page, lead: Lead) -> None:
    """Wait until the card's move is answered (kanban.js marks it busy meanwhile)."""
    expect(page.locator(f"[data-id='{lead.pk}'].kanban-busy")).to_have_count(0)


def test_cards_move_by_drag_and_drop_refusals_snap_back_and_lost_opens_lose(
    browser, live_server, transactional_db, personas: Personas
):
    company = personas.company
    statuses = list(LeadStatus.objects.filter(company=company).order_by("sequence", "id"))
    default = next(s for s in statuses if s.role == "default")
    qualification, nurturing = [s for s in statuses if s.is_open and not s.role][0::2]
    lost_status = next(s for s in statuses if s.role == "lost")
    reason = LostReason.objects.create(company=company, name="Budget gelé")
    dragged = make_lead(personas.salesperson, last_name="Rousseau", enterprise_name="Biscuiterie")
    losing = make_lead(personas.salesperson, last_name="Lemaire", enterprise_name="Fonderie")
    lost = make_lead(personas.salesperson, last_name="Perrin")
    services.lead_lose(actor=require_actor(personas.salesperson), lead=lost, reason=reason)
    sleeping = make_lead(personas.salesperson, last_name="Dormeur")
    services.lead_change_status(
        actor=require_actor(personas.salesperson), lead=sleeping, status=nurturing
    )
    LeadStatus.objects.filter(pk=nurturing.pk).update(folded=True)
    page, console = _page(browser, viewport={"width": 1800, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/leads/mine/kanban/")
    target = page.locator(f"[data-kanban-column='{qualification.pk}']")
    expect(page.locator(f"[data-kanban-figures='{default.pk}']")).to_have_text("2")
    _drag(page, _card(page, dragged).locator("[data-testid=card-company]"), target)

    expect(target.locator(f"[data-id='{dragged.pk}']")).to_be_visible()
    expect(page.locator(f"[data-kanban-figures='{qualification.pk}']")).to_have_text("1")
    expect(page.locator(f"[data-kanban-figures='{default.pk}']")).to_have_text("1")
    expect(page.locator("[data-testid=kanban-status]")).to_contain_text("Rousseau")
    _screenshot(page, "lead-kanban-drag")
    _saved(page, dragged)
    dragged.refresh_from_db()
    assert dragged.status_id == qualification.pk

    # A lost lead dragged to an open column is refused: back in its column, with the reason.
    _drag(page, _card(page, lost).locator("[data-testid=card-name]"), target)
    expect(page.locator("[data-testid=kanban-status].alert-danger")).to_be_visible()
    expect(
        page.locator(f"[data-kanban-column='{lost_status.pk}'] [data-id='{lost.pk}']")
    ).to_be_visible()
    lost.refresh_from_db()
    assert lost.status_id == lost_status.pk

    # The folded column shows its count; a click unfolds it and loads its card.
    folded = page.locator(f"[data-testid=kanban-column][data-status='{nurturing.pk}']")
    expect(folded.locator("[data-testid=column-count]")).to_have_text("1")
    expect(folded.locator(f"[data-id='{sleeping.pk}']")).to_have_count(0)
    folded.locator("[data-testid=column-fold]").click()
    expect(folded.locator(f"[data-id='{sleeping.pk}']")).to_be_visible()

    # A drop on the lost column opens the Lose dialog, the lead unchanged.
    _drag(
        page,
        _card(page, losing).locator("[data-testid=card-company]"),
        page.locator(f"[data-kanban-column='{lost_status.pk}']"),
    )
    expect(page).to_have_url(re.compile(rf"/leads/{losing.pk}/lose/\?next="))
    expect(page.locator("[data-testid=lose-dialog]")).to_be_visible()
    losing.refresh_from_db()
    assert losing.status_id == default.pk
    # The refusal is a 409 answer, which the browser reports; nothing else went wrong.
    errors = [e for e in console.errors if "409" not in e]
    assert errors == [], console.errors


def test_a_lead_dropped_on_lost_is_lost_with_a_reason(
    browser, live_server, transactional_db, personas: Personas
):
    company = personas.company
    lost_status = LeadStatus.objects.get(company=company, role="lost")
    reason = LostReason.objects.create(company=company, name="Budget gelé")
    losing = make_lead(personas.salesperson, last_name="Lemaire", enterprise_name="Fonderie")
    page, console = _page(browser, viewport={"width": 1800, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/leads/open/kanban/")
    _drag(
        page,
        _card(page, losing).locator("[data-testid=card-company]"),
        page.locator(f"[data-kanban-column='{lost_status.pk}']"),
    )
    expect(page).to_have_url(re.compile(rf"/leads/{losing.pk}/lose/\?next="))
    dialog = page.locator("[data-testid=lose-dialog]")
    dialog.locator("select[name=reason]").select_option(str(reason.pk))
    dialog.locator("[data-testid=confirm-lose]").click()
    # Lost, the lead leaves the board the user came from, who is back on it.
    expect(page).to_have_url(f"{live_server.url}/leads/open/kanban/", timeout=3000)
    expect(_card(page, losing)).to_have_count(0)
    losing.refresh_from_db()
    assert losing.status_id == lost_status.pk
    assert losing.lost_reason_id == reason.pk
    assert console.errors == [], console.errors
