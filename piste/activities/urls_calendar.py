from __future__ import annotations

from django.urls import path

from piste.activities import views_calendar, views_ical

app_name = "calendar"

# Mounted at /calendar/. The feed's address carries its token: calendar applications read it
# without a session.
urlpatterns = [
    path("", views_calendar.page, name="page"),
    path("events/", views_calendar.events, name="events"),
    path("move/", views_calendar.move, name="move"),
    path("feed/", views_ical.feed, name="feed"),
    path("feed/new/", views_ical.feed_create, name="feed_create"),
    path("feed/revoke/", views_ical.feed_revoke, name="feed_revoke"),
    path("feed/<str:token>.ics", views_ical.feed_ics, name="feed_ics"),
]
