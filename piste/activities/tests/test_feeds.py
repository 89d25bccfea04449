"""Private iCalendar feeds: made on the feed page (address shown once, only its hash stored),
reset (the old address stops working) and revoked; the public address serves the user's own
events around today, as that user may see them in the feed's company, and 404 otherwise."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from piste.activities import services_feeds
from piste.activities.models import CalendarFeed
from piste.activities.tests.test_calendar_selectors import invite, make_event
from piste.core.rights import Role
from piste.core.testing import Personas, en_client
from piste.users.models import Membership

FEED_PAGE = "/calendar/feed/"
ADDRESS = re.compile(r'value="(http://testserver/calendar/feed/([A-Za-z0-9_-]+)\.ics)"')


def make_feed(client: Client) -> tuple[str, str]:
    """Make (or reset) the feed on its page: its address and token, as shown once."""
    response = client.post(f"{FEED_PAGE}new/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    found = ADDRESS.search(response.content.decode())
    assert found, response.content.decode()
    return found.group(1), found.group(2)


def uids(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    calendar = icalendar.Calendar.from_ical(response.content)
    return [str(e["uid"]) for e in calendar.walk("VEVENT")]


def uid(event) -> str:
    return f"event-{event.pk}@testserver"


def test_a_feed_is_made_shown_once_and_only_its_hash_is_stored(personas: Personas):
    client = en_client(personas.salesperson)
    page = client.get(FEED_PAGE).content.decode()
    assert "You have no calendar feed." in page
    address, token = make_feed(client)
    feed = CalendarFeed.objects.get(user=personas.salesperson)
    assert feed.company == personas.company
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash
    # The page shows the feed, never its address again.
    page = client.get(FEED_PAGE).content.decode()
    assert "Your feed was made on" in page and token not in page
    assert Client().get(address).status_code == 200


def test_a_new_address_replaces_the_old(personas: Personas):
    client = en_client(personas.salesperson)
    old, _token = make_feed(client)
    new, _token = make_feed(client)
    assert old != new
    assert CalendarFeed.objects.filter(user=personas.salesperson).count() == 1
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_a_revoked_feed_stops_working(personas: Personas):
    client = en_client(personas.salesperson)
    address, _token = make_feed(client)
    response = client.post(f"{FEED_PAGE}revoke/", follow=True)
    assert "Your calendar feed is revoked" in response.content.decode()
    assert not CalendarFeed.objects.exists()
    assert Client().get(address).status_code == 404
    # Revoking nothing is no error.
    assert client.post(f"{FEED_PAGE}revoke/").status_code == 302


@pytest.mark.parametrize(
    "token",
    ["unknown-token-that-is-long-enough-0000000", "x", "a" * 500, "%00" * 10, "ab.cd" * 10],
)
def test_unknown_tokens_get_404(personas: Personas, token: str):
    services_feeds.feed_create(user=personas.salesperson, company=personas.company)
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404


def test_the_feed_pages_need_a_signed_in_user_and_posts(personas: Personas):
    assert Client().get(FEED_PAGE).status_code == 302
    assert Client().post(f"{FEED_PAGE}new/").status_code == 302
    client = en_client(personas.salesperson)
    assert client.get(f"{FEED_PAGE}new/").status_code == 405
    assert client.get(f"{FEED_PAGE}revoke/").status_code == 405
    assert not CalendarFeed.objects.exists()


def test_the_feed_serves_my_events_around_today(personas: Personas):
    me = personas.salesperson
    now = timezone.now().replace(microsecond=0)
    mine = make_event(me, now + timedelta(days=3))
    invited = make_event(personas.teammate, now + timedelta(days=5))
    invite(invited, me)
    old = make_event(me, now - timedelta(days=120))
    far = make_event(me, now + timedelta(days=400))
    mates = make_event(personas.teammate, now + timedelta(days=2))
    foreign = make_event(personas.other, now + timedelta(days=2))
    invite(foreign, me)
    token = services_feeds.feed_create(user=me, company=personas.company)
    response = Client().get(f"/calendar/feed/{token}.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    got = uids(response)
    assert got == [uid(mine), uid(invited)]
    for absent in (old, far, mates, foreign):
        assert uid(absent) not in got
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "Piste · Durand Conseil"


def test_the_feed_is_the_feeds_company_whatever_the_active_one(personas: Personas):
    """A user working in two companies: each feed serves its own company's events, whichever
    company the user works in on the web."""
    me = personas.salesperson
    Membership.objects.create(user=me, company=personas.other_company, role=Role.SALESPERSON)
    now = timezone.now()
    here = make_event(me, now + timedelta(days=1), company=personas.company)
    there = make_event(me, now + timedelta(days=2), company=personas.other_company)
    token_a = services_feeds.feed_create(user=me, company=personas.company)
    token_b = services_feeds.feed_create(user=me, company=personas.other_company)
    assert uids(Client().get(f"/calendar/feed/{token_a}.ics")) == [uid(here)]
    assert uids(Client().get(f"/calendar/feed/{token_b}.ics")) == [uid(there)]
    me.refresh_from_db()
    assert me.active_company_id == personas.company.pk  # not changed by the feed


def test_a_user_who_left_the_company_or_is_inactive_gets_404(personas: Personas):
    me = personas.salesperson
    token = services_feeds.feed_create(user=me, company=personas.company)
    Membership.objects.filter(user=me).update(is_active=False)
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404
    Membership.objects.filter(user=me).update(is_active=True)
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 200
    me.is_active = False
    me.save(update_fields=["is_active"])
    assert Client().get(f"/calendar/feed/{token}.ics").status_code == 404


def test_the_feed_follows_the_users_access(personas: Personas):
    """An event assigned to me but moved into a scope I lost... stays mine; an event of another
    team where I am only the assignee's colleague is not in my feed."""
    me = personas.outsider
    token = services_feeds.feed_create(user=me, company=personas.company)
    hidden = make_event(personas.salesperson, timezone.now() + timedelta(days=1))
    assert uids(Client().get(f"/calendar/feed/{token}.ics")) == []
    invite(hidden, me)
    assert uids(Client().get(f"/calendar/feed/{token}.ics")) == [uid(hidden)]


def test_last_used_is_written_at_most_hourly(personas: Personas, django_assert_num_queries):
    token = services_feeds.feed_create(user=personas.salesperson, company=personas.company)
    address = f"/calendar/feed/{token}.ics"
    client = Client()
    client.get(address)
    feed = CalendarFeed.objects.get()
    first = feed.last_used_at
    assert first is not None
    # feed by hash (with user and company); the actor (memberships, teams); the events; no
    # write within the hour.
    with django_assert_num_queries(4):
        client.get(address)
    assert CalendarFeed.objects.get().last_used_at == first
    CalendarFeed.objects.update(last_used_at=first - timedelta(hours=2))
    client.get(address)
    touched = CalendarFeed.objects.get().last_used_at
    assert touched is not None and touched > first - timedelta(hours=1)


def test_the_feed_page_query_count_is_pinned(personas: Personas, django_assert_num_queries):
    client = en_client(personas.salesperson)
    make_feed(client)
    # session, user, memberships, teams (the actor); the feed.
    with django_assert_num_queries(5):
        assert client.get(FEED_PAGE).status_code == 200
