from __future__ import annotations

from django.urls import URLPattern

app_name = "print_templates"

urlpatterns: list[URLPattern] = []
