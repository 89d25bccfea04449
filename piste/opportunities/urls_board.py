from django.urls import path

from piste.opportunities import views_board

app_name = "opportunity_board"

# Mounted at /opportunities/ before the opportunity pages (whose <id>/ they would shadow).
# The moves take any text as id: a malformed one gets the same refusal as a missing one (JSON for
# kanban.js), not an HTML 404 page.
urlpatterns = [
    path("kanban/", views_board.kanban, name="kanban"),
    path("kanban/column/<int:stage_id>/", views_board.kanban_column, name="column"),
    path("kanban/move/<str:pk>/", views_board.kanban_move, name="move"),
    path("calendar/", views_board.calendar, name="calendar"),
    path("calendar/move/<str:pk>/", views_board.calendar_move, name="calendar_move"),
]
