from django.urls import path

from piste.leads import views, views_convert

# One lead's pages, under /leads/ (namespace "leads", see urls.py). Ids are <int:pk>: anything
# else is no lead (404) before any view runs.
urlpatterns = [
    path("new/", views.lead_create, name="create"),
    path("job-titles/new/", views.job_title_create, name="job_title_create"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/delete/", views.lead_delete, name="delete"),
    path("<int:pk>/status/", views.lead_status, name="status"),
    path("<int:pk>/take-charge/", views.lead_take_charge, name="take_charge"),
    path("<int:pk>/lose/", views.lead_lose, name="lose"),
    path("<int:pk>/convert/", views_convert.lead_convert, name="convert"),
    path("<int:pk>/converted/", views_convert.lead_converted, name="converted"),
    path("<int:pk>/reopen/", views.lead_reopen, name="reopen"),
    path("<int:pk>/logo/", views.lead_logo, name="logo"),
]
