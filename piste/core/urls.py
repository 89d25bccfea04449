from django.urls import path

from piste.core import views
from piste.users import views as user_views

app_name = "config"

# /config/: administrators' pages. Fixed pages first, then the generic lists by slug.
urlpatterns = [
    path("", views.config_home, name="home"),
    path("settings/", user_views.crm_settings, name="crm_settings"),
    path("users/", user_views.user_list, name="user_list"),
    path("users/new/", user_views.user_invite, name="user_invite"),
    path("users/<str:pk>/", user_views.user_edit, name="user_edit"),
    path("companies/", user_views.company_list, name="company_list"),
    path("companies/new/", user_views.company_create, name="company_create"),
    path("companies/<str:pk>/", user_views.company_edit, name="company_edit"),
    path("<slug:slug>/", views.referential_list, name="referential_list"),
    path("<slug:slug>/new/", views.referential_create, name="referential_create"),
    path("<slug:slug>/import/", views.referential_import, name="referential_import"),
    path("<slug:slug>/<str:pk>/", views.referential_edit, name="referential_edit"),
    path("<slug:slug>/<str:pk>/delete/", views.referential_delete, name="referential_delete"),
]
