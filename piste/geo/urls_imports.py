from django.urls import path

from piste.geo import views_imports as views

app_name = "city_imports"

# /config/territory/imports/: city import jobs (administrators).
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_create, name="create"),
    path("settings/", views.import_settings, name="settings"),
    path("template.csv", views.import_template, name="template"),
    path("<str:pk>/", views.import_detail, name="detail"),
    path("<str:pk>/cancel/", views.import_cancel, name="cancel"),
    path("<str:pk>/restart/", views.import_restart, name="restart"),
    path("<str:pk>/report/", views.import_report, name="report"),
]
