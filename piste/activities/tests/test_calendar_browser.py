"""The calendar in a real browser: FullCalendar's month view shows the user's event (its
injected styles pass the Content-Security-Policy through the page's nonce), the event dragged
to another day is saved there, and a move refused by the server puts it back with the reason;
no console error."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from piste.activities.models import Event
from piste.activities.tests.test_calendar_selectors import make_event
from piste.core.testing import Personas
from tests import test_browser
from tests.test_browser import _page, _screenshot, _sign_in, expect

browser = test_browser.browser

pytestmark = [pytest.mark.browser]


def _drag(page, source, target) -> None:
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 8, y0 + 8, steps=4)
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y, steps=20)
    page.wait_for_timeout(150)
    page.mouse.up()


def _days() -> tuple[date, date, date]:
    """Three days of this month (the calendar opens on it), away from its edges."""
    first = timezone.localdate().replace(day=1)
    return first + timedelta(days=9), first + timedelta(days=16), first + timedelta(days=18)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_an_event_dragged_to_another_day_is_saved_and_a_refusal_puts_it_back(
    browser, live_server, transactional_db, personas: Personas
):
    me = personas.salesperson
    day, target_day, other_day = _days()
    event = make_event(me, _at(day, 10), _at(day, 11), subject="Visite Morel")
    stale = make_event(me, _at(day, 14), _at(day, 15), subject="Appel Durand")
    page, console = _page(browser, viewport={"width": 1400, "height": 1000})
    _sign_in(page, live_server.url, me)

    page.goto(f"{live_server.url}/calendar/")
    calendar = page.locator("[data-testid=events-calendar]")
    item = calendar.locator(".fc-event", has_text="Visite Morel")
    expect(item).to_be_visible()
    # Shown at Piste's wall-clock time (10 h in Paris), whatever the browser's zone (UTC here).
    expect(item.locator(".fc-event-time")).to_contain_text("10")
    # FullCalendar's own stylesheet applied (its <style> carries the CSP nonce).
    expect(calendar.locator(".fc-daygrid-day-frame").first).to_have_css("position", "relative")
    # The plain list below lists it as a link too.
    expect(
        page.locator(f"[data-testid=period-event] a[href='/events/{event.pk}/']")
    ).to_be_visible()

    _drag(page, item, calendar.locator(f"td.fc-daygrid-day[data-date='{target_day.isoformat()}']"))
    status = page.locator("[data-testid=calendar-status]")
    expect(status).to_contain_text("Visite Morel")
    expect(status).to_have_class("alert alert-success")
    _screenshot(page, "events-calendar-drag")
    event.refresh_from_db()
    assert timezone.localtime(event.start) == _at(target_day, 10)
    assert timezone.localtime(event.end) == _at(target_day, 11)
    assert event.version == 2
    expect(
        calendar.locator(f"td[data-date='{target_day.isoformat()}'] .fc-event", has_text="Visite")
    ).to_be_visible()

    # Someone else changed the other event meanwhile: the move is refused and undone.
    Event.objects.filter(pk=stale.pk).update(version=5)
    _drag(
        page,
        calendar.locator(".fc-event", has_text="Appel Durand"),
        calendar.locator(f"td.fc-daygrid-day[data-date='{other_day.isoformat()}']"),
    )
    # The browser speaks French (Playwright locale fr-FR in tests/test_browser._page).
    expect(status).to_contain_text("autre entre-temps : rechargez le calendrier")
    expect(
        calendar.locator(f"td[data-date='{day.isoformat()}'] .fc-event", has_text="Appel Durand")
    ).to_be_visible()
    stale.refresh_from_db()
    assert timezone.localtime(stale.start) == _at(day, 14)

    # The week and day views open.
    page.locator(".fc-timeGridWeek-button").click()
    expect(calendar.locator(".fc-timegrid")).to_be_visible()
    page.locator(".fc-timeGridDay-button").click()
    expect(calendar.locator(".fc-timegrid")).to_be_visible()

    # The refusal is a 409 answer, which the browser reports; nothing else went wrong.
    errors = [e for e in console.errors if "409" not in e]
    assert errors == [], console.errors
    page.context.close()
