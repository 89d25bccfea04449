from __future__ import annotations

from django.urls import URLPattern, path

from piste.webforms import views_config as views

app_name = "webforms_config"

# /config/web-forms/: the web-to-lead forms (administrators).
urlpatterns: list[URLPattern] = [
    path("", views.webforms, name="list"),
    path("new/", views.webform_edit, name="create"),
    path("<int:pk>/", views.webform_edit, name="edit"),
    path("<int:pk>/delete/", views.webform_delete, name="delete"),
]
