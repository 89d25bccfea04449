"""The computed "Last event date" and "Next scheduled event date" (axelor-reference §11.3):
right at once after every change of an event (create, move, cancel, done, delete), for one
record and for lists, and shown on the lead, partner and opportunity pages."""

from __future__ import annotations

import pytest
from django.utils import formats, timezone

from piste.activities import services
from piste.activities.selectors import EventDates, event_dates, with_event_dates
from piste.activities.tests.factories import actor, at, make_event, reload
from piste.core.testing import en_client
from piste.leads.models import Lead
from piste.leads.tests.factories import make_lead
from piste.opportunities.tests.test_opportunities import make_opportunity
from piste.partners.tests.factories import make_partner

HTMX = {"HX-Request": "true"}


@pytest.fixture
def lead(personas):
    return make_lead(personas.salesperson, team=personas.north)


def shown(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def test_no_event_no_dates(personas, lead):
    assert event_dates(lead) == EventDates(None, None)


def test_last_is_the_start_of_the_event_that_ended_last(personas, lead):
    # A: long, started first, ended last. B: started later, ended earlier.
    a = make_event(personas.salesperson, lead, start=at(-10), end=at(-1))
    make_event(personas.salesperson, lead, start=at(-5), end=at(-4))
    assert event_dates(lead).last_at == a.start


def test_cancelled_events_count_for_the_last_date_not_the_next(personas, lead):
    past = make_event(personas.salesperson, lead, start=at(-3), end=at(-2))
    services.event_set_status(actor=actor(personas.salesperson), event=past, status="cancelled")
    future = make_event(personas.salesperson, lead, start=at(5))
    dates = event_dates(lead)
    assert dates.last_at == past.start
    assert dates.next_at == future.start
    services.event_set_status(actor=actor(personas.salesperson), event=future, status="cancelled")
    assert event_dates(lead).next_at is None


def test_next_is_the_earliest_planned_start_after_now(personas, lead):
    later = make_event(personas.salesperson, lead, start=at(48))
    sooner = make_event(personas.salesperson, lead, start=at(3))
    done = make_event(personas.salesperson, lead, start=at(1))
    services.event_set_status(actor=actor(personas.salesperson), event=done, status="done")
    assert event_dates(lead).next_at == sooner.start
    # Moving the sooner one after the later one: the later one is next at once.
    services.event_update(
        actor=actor(personas.salesperson), event=sooner, data={"start": at(72), "end": at(73)},
        version=sooner.version,
    )  # fmt: skip
    assert event_dates(lead).next_at == later.start
    # Deleting it: nothing else changes; deleting the later one: no next date.
    services.event_delete(actor=actor(personas.salesperson), event=later)
    assert event_dates(lead).next_at == reload(sooner).start


def test_an_ongoing_event_is_neither_last_nor_next(personas, lead):
    make_event(personas.salesperson, lead, start=at(-1), end=at(1))
    assert event_dates(lead) == EventDates(None, None)


def test_list_annotation_gives_each_record_its_dates(personas, django_assert_num_queries):
    first = make_lead(personas.salesperson, last_name="Un")
    second = make_lead(personas.salesperson, last_name="Deux")
    past = make_event(personas.salesperson, first, start=at(-3), end=at(-2))
    upcoming = make_event(personas.salesperson, second, start=at(3))
    # 1 query: the leads with both subqueries.
    with django_assert_num_queries(1):
        rows = {
            lead.pk: (lead.last_event_at, lead.next_event_at)  # type: ignore[attr-defined]
            for lead in with_event_dates(Lead.objects.filter(pk__in=[first.pk, second.pk]))
        }
    assert rows[first.pk] == (past.start, None)
    assert rows[second.pk] == (None, upcoming.start)


def test_partner_and_opportunity_dates(personas):
    partner = make_partner(personas.salesperson)
    opportunity = make_opportunity(personas.salesperson, partner)
    on_partner = make_event(personas.salesperson, partner, start=at(4))
    on_opportunity = make_event(personas.salesperson, opportunity, start=at(-6), end=at(-5))
    assert event_dates(partner).next_at == on_partner.start
    assert event_dates(opportunity).last_at == on_opportunity.start


def test_lead_page_shows_the_dates(personas, lead):
    upcoming = make_event(personas.salesperson, lead, start=at(26))
    response = en_client(personas.salesperson).get(f"/leads/{lead.pk}/")
    page = response.content.decode()
    assert "Last event date" in page
    assert "Next scheduled event date" in page
    assert shown(upcoming.start) in page


def test_partner_and_opportunity_pages_show_the_dates(personas):
    partner = make_partner(personas.salesperson)
    opportunity = make_opportunity(personas.salesperson, partner)
    upcoming = make_event(personas.salesperson, partner, start=at(30))
    past = make_event(personas.salesperson, opportunity, start=at(-30), end=at(-29))
    client = en_client(personas.salesperson)
    assert shown(upcoming.start) in client.get(f"/partners/{partner.pk}/").content.decode()
    page = client.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert "Last event date" in page and shown(past.start) in page


def test_dates_block_reloads_with_the_new_dates(personas, lead):
    client = en_client(personas.salesperson)
    url = f"/events/for/lead/{lead.pk}/dates/"
    assert "—" in client.get(url, headers=HTMX).content.decode()
    upcoming = make_event(personas.salesperson, lead, start=at(7))
    response = client.get(url, headers=HTMX)
    assert shown(upcoming.start) in response.content.decode()
    assert 'hx-trigger="events-changed from:body"' in response.content.decode()


def test_dates_block_of_a_record_out_of_reach_is_404(personas, lead):
    assert en_client(personas.outsider).get(f"/events/for/lead/{lead.pk}/dates/").status_code == 404
    assert en_client(personas.other).get(f"/events/for/lead/{lead.pk}/dates/").status_code == 404
