from __future__ import annotations

from django.urls import path

from piste.api import views

app_name = "api_tokens"

urlpatterns = [
    path("", views.api_tokens, name="list"),
    path("<int:pk>/revoke/", views.api_token_revoke, name="revoke"),
]
