from django.urls import path

from piste.core import views_choices

app_name = "choices"

# /choices/: what pickers offer for the letters typed in their search box (JSON).
urlpatterns = [
    path("tags/", views_choices.tag_choices, name="tags"),
]
