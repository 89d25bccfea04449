from django.urls import path

from piste.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("new/", views.order_create, name="create"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/confirm/", views.order_confirm, name="confirm"),
    path("<int:pk>/cancel/", views.order_cancel, name="cancel"),
]
