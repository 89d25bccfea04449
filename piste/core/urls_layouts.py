from django.urls import path

from piste.core import views_layouts as views

app_name = "form_layouts"

# /config/layouts/: which fields the record forms show, in which order, and which are mandatory.
urlpatterns = [
    path("", views.layout_list, name="list"),
    path("<slug:form_name>/", views.layout_edit, name="edit"),
    path("<slug:form_name>/reset/", views.layout_reset, name="reset"),
]
