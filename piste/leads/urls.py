from django.urls import include, path

app_name = "leads"

# /leads/: the lists (mine, open, closed, bulk actions) and one lead's pages.
urlpatterns = [
    path("", include("piste.leads.urls_lists")),
    path("", include("piste.leads.urls_record")),
]
