from __future__ import annotations

from django.urls import path

from piste.documents import views, views_print

app_name = "documents"

# /documents/: a record's Documents tab (<kind>: lead, partner, contact, opportunity, event), a
# document's download and deletion, printing a record.
urlpatterns = [
    path("for/<slug:kind>/<int:pk>/", views.record_documents, name="record_documents"),
    path("for/<slug:kind>/<int:pk>/print/", views_print.record_print, name="print"),
    path("for/<slug:kind>/<int:pk>/print/pdf/", views_print.record_print_pdf, name="print_pdf"),
    path("<int:pk>/download/", views.document_download, name="download"),
    path("<int:pk>/delete/", views.document_delete, name="delete"),
]
