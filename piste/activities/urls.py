from __future__ import annotations

from django.urls import path

from piste.activities import views

app_name = "activities"

urlpatterns = [
    path("<int:pk>/", views.event_detail, name="detail"),
    path("for/<slug:kind>/<int:pk>/", views.record_events, name="record_events"),
    path("for/<slug:kind>/<int:pk>/new/", views.record_event_new, name="record_event_new"),
]
