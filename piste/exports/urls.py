from __future__ import annotations

from django.urls import URLPattern, path

from piste.exports import views

app_name = "exports"

urlpatterns: list[URLPattern] = [
    path("leads/<str:kind>/<str:fmt>/", views.lead_list_export, name="leads"),
    path(
        "opportunities/<str:kind>/<str:fmt>/",
        views.opportunity_list_export,
        name="opportunities",
    ),
    path(
        "referentials/<slug:slug>/<str:fmt>/",
        views.referential_list_export,
        name="referentials",
    ),
    path("accounts/<str:kind>/<str:fmt>/", views.account_list_export, name="accounts"),
    path("prospects/<str:kind>/<str:fmt>/", views.prospect_list_export, name="prospects"),
    path("actions/<str:fmt>/", views.action_list_export, name="actions"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
