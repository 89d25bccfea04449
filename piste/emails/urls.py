from __future__ import annotations

from django.urls import path

from piste.emails import views

app_name = "emails"

urlpatterns = [
    path("for/<slug:kind>/<int:pk>/", views.record_emails, name="record_emails"),
    path("for/<slug:kind>/<int:pk>/new/", views.compose, name="compose"),
]
