from django.urls import path  # noqa: F401

app_name = "lead_board"

urlpatterns: list = []
