from __future__ import annotations

from django.urls import path

from piste.activities import views, views_ical

app_name = "activities"

# /events/: one event's pages, a record's Events tab and its event form, "My actions". Ids are
# <int:pk>: anything else is no event (404) before any view runs.
urlpatterns = [
    path("new/", views.event_new, name="new"),
    path("actions/", views.actions, name="actions"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/delete/", views.event_delete, name="delete"),
    path("<int:pk>/done/", views.event_status, {"action": "done"}, name="done"),
    path("<int:pk>/cancel/", views.event_status, {"action": "cancel"}, name="cancel"),
    path("<int:pk>/plan/", views.event_status, {"action": "plan"}, name="plan"),
    path("<int:pk>/ics/", views_ical.event_ics, name="ics"),
    path("for/<slug:kind>/<int:pk>/", views.record_events, name="record_events"),
    path("for/<slug:kind>/<int:pk>/new/", views.record_event_new, name="record_event_new"),
    path("for/<slug:kind>/<int:pk>/dates/", views.record_dates, name="record_dates"),
]
