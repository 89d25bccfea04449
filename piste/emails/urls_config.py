from __future__ import annotations

from django.urls import URLPattern

app_name = "email_config"

urlpatterns: list[URLPattern] = []
