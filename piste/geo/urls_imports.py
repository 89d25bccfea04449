from django.urls import URLPattern, path  # noqa: F401

app_name = "city_imports"

urlpatterns: list[URLPattern] = []
