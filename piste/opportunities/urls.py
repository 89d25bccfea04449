from django.urls import path

from piste.opportunities import views
from piste.opportunities.selectors import ListKind

app_name = "opportunities"

# /opportunities/: the lists and one opportunity's pages (the kanban and the calendar are
# piste/opportunities/urls_board.py, mounted first). Ids are <int:pk>: anything else is no
# opportunity (404) before any view runs.
urlpatterns = [
    # The portfolio; with ?partner=<id>, the partner page's Opportunities tab.
    path("", views.opportunity_list, name="list"),
    path("mine/", views.opportunity_list, {"kind": ListKind.MINE}, name="mine"),
    path("open/", views.opportunity_list, {"kind": ListKind.OPEN}, name="open"),
    path("closed/", views.opportunity_list, {"kind": ListKind.CLOSED}, name="closed"),
    path("new/", views.opportunity_create, name="create"),
    path("contacts/", views.contact_choices, name="contact_choices"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/stage/", views.opportunity_stage, name="stage"),
    path("<int:pk>/win/", views.opportunity_win, name="win"),
    path("<int:pk>/lose/", views.opportunity_lose, name="lose"),
    path("<int:pk>/reopen/", views.opportunity_reopen, name="reopen"),
    path("<int:pk>/delete/", views.opportunity_delete, name="delete"),
]
