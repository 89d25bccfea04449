from django.urls import path

from piste.duplicates import views_warnings

app_name = "duplicates_warnings"

# Mounted at /duplicates/: /duplicates/warnings/lead/?email=…; an unknown entity is a 404.
urlpatterns = [
    path("warnings/<str:entity>/", views_warnings.warnings_fragment, name="warnings"),
]
