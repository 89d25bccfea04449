from __future__ import annotations

from django.urls import URLPattern, path

from piste.webforms import views

app_name = "webforms"

# /forms/<key>/: a web form's public page and endpoint (no sign-in; see views.py).
urlpatterns: list[URLPattern] = [
    path("<str:key>/", views.form_page, name="form"),
]
