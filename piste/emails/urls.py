from __future__ import annotations

from django.urls import path

from piste.emails import views

app_name = "emails"

# /emails/: a record's Email tab and compose page, "Sent emails", an email and its attachments.
urlpatterns = [
    path("for/<slug:kind>/<int:pk>/", views.record_emails, name="record_emails"),
    path("for/<slug:kind>/<int:pk>/new/", views.compose, name="compose"),
    path("sent/", views.sent, name="sent"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
]
