"""iCalendar: one event's .ics download, and each user's private feed (its page, where it is
made, reset or revoked, and the public address calendar applications read without signing in).
"""

from __future__ import annotations

import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from piste.activities import ical, services_feeds
from piste.activities.selectors import event_get_for_user
from piste.activities.selectors_calendar import feed_events
from piste.core.access import company_required, require_actor
from piste.core.http import AuthedHttpRequest

FEED_TEMPLATE = "activities/feed.html"
ICS = "text/calendar; charset=utf-8"


def _event_prefix(request: HttpRequest) -> str:
    """The absolute address of the event pages up to the id."""
    return request.build_absolute_uri(reverse("activities:detail", args=[0]))[:-2]


def ics_filename(subject: str) -> str:
    """« <subject>.ics », without what a file name must not hold (separators, control
    characters), at most 100 characters before the extension."""
    kept = "".join(
        " " if ch in '/\\:*?"<>|' or unicodedata.category(ch)[0] == "C" else ch for ch in subject
    )
    name = " ".join(kept.split()).strip(". ")[:100]
    return f"{name or 'event'}.ics"


@login_required
@company_required
@require_GET
def event_ics(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One event the user may see, as an .ics file to open in a calendar application."""
    event = event_get_for_user(request.user, pk)
    body = ical.calendar_ics(
        [ical.event_row(event)], host=request.get_host(), url_prefix=_event_prefix(request)
    )
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=ics_filename(event.subject))
        or "attachment"
    )
    response["Cache-Control"] = "private, no-store"
    return response


# The private feed ----------------------------------------------------------------------------


def _feed_page(request: AuthedHttpRequest, token: str = "") -> HttpResponse:
    actor = require_actor(request.user)
    context = {
        "feed": services_feeds.feed_of(request.user, actor.company),
        "company": actor.company,
        # Shown once: right after it was made, never again.
        "feed_address": request.build_absolute_uri(reverse("calendar:feed_ics", args=[token]))
        if token
        else "",
        "calendar_url": reverse("calendar:page"),
    }
    response = render(request, FEED_TEMPLATE, context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@company_required
@require_GET
def feed(request: AuthedHttpRequest) -> HttpResponse:
    """Whether I have a feed in this company, and the buttons to make, reset or revoke it."""
    return _feed_page(request)


@login_required
@company_required
@require_POST
def feed_create(request: AuthedHttpRequest) -> HttpResponse:
    """A new feed address (the old one stops working), shown on the answer only."""
    actor = require_actor(request.user)
    token = services_feeds.feed_create(user=request.user, company=actor.company)
    return _feed_page(request, token)


@login_required
@company_required
@require_POST
def feed_revoke(request: AuthedHttpRequest) -> HttpResponse:
    actor = require_actor(request.user)
    if services_feeds.feed_revoke(user=request.user, company=actor.company):
        messages.success(request, _("Your calendar feed is revoked: its address no longer works."))
    return redirect("calendar:feed")


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself, for calendar applications: no session, the token is the key. 404 for
    an unknown or revoked token, or a user who no longer works in the feed's company."""
    found = services_feeds.feed_for_token(token)
    if found is None:
        raise Http404
    rows = feed_events(found.user)
    body = ical.calendar_ics(
        rows,
        host=request.get_host(),
        url_prefix=_event_prefix(request),
        name=f"Piste · {found.company.name}",
    )
    services_feeds.feed_touch(found)
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = 'inline; filename="piste.ics"'
    # The user's own events: no shared cache may keep them.
    response["Cache-Control"] = "private, max-age=300"
    return response
