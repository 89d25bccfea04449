from django.urls import path

from piste.geo import views_config as views

app_name = "territory"

# /config/territory/: the geographic referentials shared by every company.
urlpatterns = [
    path("", views.index, name="index"),
    path("countries/", views.country_list, name="country_list"),
    path("countries/<str:pk>/", views.country_edit, name="country_edit"),
    path("countries/<str:pk>/delete/", views.country_delete, name="country_delete"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/new/", views.region_create, name="region_create"),
    path("regions/<str:pk>/", views.region_edit, name="region_edit"),
    path("regions/<str:pk>/delete/", views.region_delete, name="region_delete"),
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<str:pk>/", views.department_edit, name="department_edit"),
    path("departments/<str:pk>/delete/", views.department_delete, name="department_delete"),
    path("cities/", views.city_list, name="city_list"),
    path("cities/new/", views.city_create, name="city_create"),
    path("cities/<str:pk>/", views.city_edit, name="city_edit"),
    path("cities/<str:pk>/delete/", views.city_delete, name="city_delete"),
]
