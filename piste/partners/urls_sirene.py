from django.urls import path

from piste.partners import views_sirene

app_name = "sirene"

# /partners/sirene/: the lookup button of the partner form.
urlpatterns = [
    path("lookup/", views_sirene.lookup, name="lookup"),
]
