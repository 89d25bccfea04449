from django.urls import path

from piste.geo import views_address

app_name = "address"

urlpatterns = [
    path("cities/suggest/", views_address.city_suggest, name="city_suggest"),
]
