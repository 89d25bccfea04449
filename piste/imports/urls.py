from __future__ import annotations

from django.urls import URLPattern, path

from piste.imports import views

app_name = "imports"

urlpatterns: list[URLPattern] = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<int:pk>/preview/", views.import_preview, name="preview"),
    path("<int:pk>/rejected.csv", views.import_rejected, name="rejected"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/delete/", views.import_delete, name="delete"),
]
