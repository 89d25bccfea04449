from django.urls import path, re_path

from piste.leads import views_lists
from piste.leads.selectors import ListKind

# Included by piste/leads/urls.py under the "leads" namespace, at /leads/.
urlpatterns = [
    path("mine/", views_lists.lead_list, {"kind": ListKind.MINE}, name="mine"),
    path("open/", views_lists.lead_list, {"kind": ListKind.OPEN}, name="open"),
    path("closed/", views_lists.lead_list, {"kind": ListKind.CLOSED}, name="closed"),
    re_path(
        r"^(?P<kind>mine|open|closed)/count/$",
        views_lists.matching_count,
        name="matching_count",
    ),
    path("bulk/", views_lists.bulk, name="bulk"),
    path("row/<int:pk>/take-charge/", views_lists.row_take_charge, name="row_take_charge"),
]
