"""The portfolio kanban and the signature calendar in a real browser: a card dragged to another
column (another day) is saved there and stays after a reload, the column figures follow, the
"Move to…" form moves a card with the keyboard, and a drop on the won column opens Win; all
under the Content-Security-Policy with no console error."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from piste.core.access import actor_for
from piste.core.testing import Personas
from piste.opportunities import services
from piste.opportunities.models import Opportunity, OpportunityStage
from piste.partners.tests.factories import make_partner
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _make(personas: Personas, name: str, **data) -> Opportunity:
    actor = actor_for(personas.salesperson)
    assert actor is not None
    partner = make_partner(personas.salesperson, name=f"Client {name}")
    return services.opportunity_create(
        actor=actor,
        data={"partner": partner, "name": name, "amount": Decimal("12500"), "probability": 40,
              **data},
    )  # fmt: skip


def _drag(page, source, target) -> None:
    """Press on ``source``, move in small steps (SortableJS follows the pointer), release over
    ``target``."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10,
                    steps=5)  # fmt: skip
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + min(end["height"] / 2, 40), steps=20)
    page.mouse.up()


def _saved(page, opportunity: Opportunity) -> None:
    """Wait until the card's move is answered (kanban.js marks it busy meanwhile)."""
    expect(page.locator(f"[data-id='{opportunity.pk}'].kanban-busy")).to_have_count(0)


def test_kanban_cards_move_by_drag_and_drop_and_by_keyboard(
    browser, live_server, transactional_db, personas: Personas
):
    company = personas.company.pk
    stages = list(OpportunityStage.objects.filter(company_id=company).order_by("sequence"))
    default, qualification, proposal = stages[0], stages[1], stages[2]
    won = next(s for s in stages if s.role == "won")
    dragged = _make(personas, "Fours à pain")
    keyed = _make(personas, "Vitrines réfrigérées")
    winning = _make(personas, "Camion de livraison")
    page, console = _page(browser, viewport={"width": 1700, "height": 1000})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/opportunities/kanban/")
    card = page.locator(f"[data-kanban-card][data-id='{dragged.pk}']")
    target = page.locator(f"[data-kanban-column='{qualification.pk}']")
    expect(page.locator(f"[data-kanban-figures='{default.pk}']")).to_contain_text("3")
    _drag(page, card.locator("[data-testid=card-partner]"), target)

    expect(target.locator(f"[data-id='{dragged.pk}']")).to_be_visible()
    # The columns' figures follow the move.
    expect(page.locator(f"[data-kanban-figures='{qualification.pk}']")).to_contain_text(
        "12\u00a0500\u00a0€"
    )
    expect(
        page.locator(f"[data-kanban-figures='{default.pk}'] [data-testid=figures-count]")
    ).to_have_text(re.compile(r"^\s*2\b"))
    expect(page.locator("[data-testid=kanban-status]")).to_contain_text("Fours à pain")
    _screenshot(page, "opportunity-kanban-drag")
    _saved(page, dragged)
    dragged.refresh_from_db()
    assert dragged.stage_id == qualification.pk

    page.reload()
    expect(target.locator(f"[data-id='{dragged.pk}']")).to_be_visible()
    expect(
        page.locator(f"[data-kanban-column='{default.pk}'] [data-id='{dragged.pk}']")
    ).to_have_count(0)

    # The keyboard way: "Move to…", choose the stage, submit.
    keyed_card = page.locator(f"[data-kanban-card][data-id='{keyed.pk}']")
    keyed_card.locator("[data-testid=card-move-toggle]").focus()
    page.keyboard.press("Enter")
    keyed_card.locator("select[name=stage]").select_option(str(proposal.pk))
    keyed_card.locator("select[name=stage]").focus()
    page.keyboard.press("Tab")  # to "Move"
    page.keyboard.press("Enter")
    expect(
        page.locator(f"[data-kanban-column='{proposal.pk}'] [data-id='{keyed.pk}']")
    ).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/opportunities/kanban/")
    _saved(page, keyed)
    keyed.refresh_from_db()
    assert keyed.stage_id == proposal.pk

    # A drop on the won column opens Win, with the way back to the kanban.
    _drag(
        page,
        page.locator(f"[data-kanban-card][data-id='{winning.pk}'] [data-testid=card-partner]"),
        page.locator(f"[data-kanban-column='{won.pk}']"),
    )
    expect(page).to_have_url(
        re.compile(rf"/opportunities/{winning.pk}/win/\?next=%2Fopportunities%2Fkanban%2F")
    )
    winning.refresh_from_db()
    assert winning.stage_id == default.pk
    assert console.errors == [], console.errors


def test_calendar_cards_move_to_another_day(
    browser, live_server, transactional_db, personas: Personas
):
    dragged = _make(personas, "Fours à pain", expected_close_date=date(2026, 6, 10))
    keyed = _make(personas, "Vitrines", expected_close_date=date(2026, 6, 11))
    page, console = _page(browser, viewport={"width": 1600, "height": 1100})
    _sign_in(page, live_server.url, personas.salesperson)

    page.goto(f"{live_server.url}/opportunities/calendar/?month=2026-06")
    card = page.locator(f"[data-kanban-card][data-id='{dragged.pk}']")
    expect(page.locator("[data-kanban-figures='2026-06-10']")).to_contain_text("12\u00a0500\u00a0€")
    _drag(
        page,
        card.locator("[data-testid=card-amount]"),
        page.locator("[data-kanban-column='2026-06-17']"),
    )

    expect(
        page.locator(f"[data-kanban-column='2026-06-17'] [data-id='{dragged.pk}']")
    ).to_be_visible()
    expect(page.locator("[data-kanban-figures='2026-06-17']")).to_contain_text("12\u00a0500\u00a0€")
    expect(page.locator("[data-kanban-figures='2026-06-10']")).to_have_text("")
    _saved(page, dragged)
    dragged.refresh_from_db()
    assert dragged.expected_close_date == date(2026, 6, 17)
    _screenshot(page, "opportunity-calendar-drag")

    page.reload()
    expect(
        page.locator(f"[data-kanban-column='2026-06-17'] [data-id='{dragged.pk}']")
    ).to_be_visible()

    # The keyboard way: the card's date popover.
    keyed_card = page.locator(f"[data-kanban-card][data-id='{keyed.pk}']")
    keyed_card.locator("[data-testid=reschedule-toggle]").focus()
    page.keyboard.press("Enter")
    field = keyed_card.locator("input[type=date]")
    expect(field).to_be_focused()
    field.fill("2026-06-25")
    page.keyboard.press("Enter")
    expect(
        page.locator(f"[data-kanban-column='2026-06-25'] [data-id='{keyed.pk}']")
    ).to_be_visible()
    _saved(page, keyed)
    keyed.refresh_from_db()
    assert keyed.expected_close_date == date(2026, 6, 25)
    assert console.errors == [], console.errors
