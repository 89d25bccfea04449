from django.urls import path

from piste.leads import views_config as views

app_name = "lead_statuses"

# /config/lead-statuses/: the status bar's steps and the lifecycle statuses.
urlpatterns = [
    path("", views.status_list, name="list"),
    path("new/", views.status_create, name="create"),
    path("reorder/", views.status_reorder, name="reorder"),
    path("roles/", views.status_roles, name="roles"),
    path("<str:pk>/", views.status_edit, name="edit"),
    path("<str:pk>/delete/", views.status_delete, name="delete"),
]
