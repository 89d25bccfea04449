from django.urls import path  # noqa: F401

app_name = "opportunity_board"

urlpatterns: list = []
