from django.urls import path

from piste.partners import views_prospects as views
from piste.partners.selectors_prospects import ListKind

app_name = "prospects"

# /prospects/: the prospect workflow (when the company manages statuses on prospects). Ids are
# <int:…>: anything else is no prospect (404) before any view runs.
urlpatterns = [
    path("open/", views.prospect_list, {"kind": ListKind.OPEN}, name="open"),
    path("closed/", views.prospect_list, {"kind": ListKind.CLOSED}, name="closed"),
    path("kanban/", views.prospect_kanban, name="kanban"),
    path("kanban/<int:status_pk>/", views.kanban_column, name="kanban_column"),
    path("<int:pk>/status/", views.prospect_status, name="status"),
    path("<int:pk>/move/", views.prospect_move, name="move"),
    path("<int:pk>/lose/", views.prospect_lose, name="lose"),
    path("<int:pk>/reopen/", views.prospect_reopen, name="reopen"),
]
