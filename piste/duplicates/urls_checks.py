from django.urls import path

from piste.duplicates import views_checks as views

app_name = "duplicates_checks"

# /duplicates/: a check's field picker, the checks and scans, a check's results.
urlpatterns = [
    path("check/<str:entity>/", views.check, name="check"),
    path("scans/", views.scans, name="scans"),
    path("scans/new/", views.scan_start, name="scan_start"),
    path("scans/<int:pk>/", views.scan_detail, name="scan"),
]
