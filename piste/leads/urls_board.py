from django.urls import path, re_path

from piste.leads import views_board
from piste.leads.selectors import ListKind

app_name = "lead_board"

# Mounted at /leads/ before the lead pages: My leads and Open leads as boards (Closed leads has
# none). A move takes any text as id: a malformed one gets the same refusal as a missing one
# (JSON for kanban.js), not an HTML 404 page.
urlpatterns = [
    path("mine/kanban/", views_board.kanban, {"kind": ListKind.MINE}, name="mine"),
    path("open/kanban/", views_board.kanban, {"kind": ListKind.OPEN}, name="open"),
    re_path(
        r"^(?P<kind>mine|open)/kanban/column/(?P<status_id>[0-9]{1,18})/$",
        views_board.kanban_column,
        name="column",
    ),
    re_path(
        r"^(?P<kind>mine|open)/kanban/move/(?P<pk>[^/]+)/$", views_board.kanban_move, name="move"
    ),
]
