from __future__ import annotations

from django.urls import path

from piste.documents import views_config

app_name = "print_templates"

# /config/print-templates/: the company's print templates (administrators).
urlpatterns = [
    path("", views_config.template_list, name="list"),
    path("new/", views_config.template_create, name="create"),
    path("<int:pk>/", views_config.template_edit, name="edit"),
    path("<int:pk>/preview/", views_config.template_preview, name="preview"),
    path("<int:pk>/delete/", views_config.template_delete, name="delete"),
]
