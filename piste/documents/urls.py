from __future__ import annotations

from django.urls import path

from piste.documents import views

app_name = "documents"

urlpatterns = [
    path("for/<slug:kind>/<int:pk>/", views.record_documents, name="record_documents"),
    path("for/<slug:kind>/<int:pk>/print/", views.record_print, name="print"),
]
