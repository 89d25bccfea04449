from __future__ import annotations

from django.urls import path

from piste.webhooks import views

app_name = "webhooks"

# /config/webhooks/: the subscriptions and their deliveries log (administrators).
urlpatterns = [
    path("", views.subscriptions, name="list"),
    path("new/", views.subscription_edit, name="create"),
    path("<int:pk>/", views.subscription_edit, name="edit"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path("<int:pk>/secret/", views.subscription_secret_renew, name="secret"),
    path("<int:pk>/test/", views.subscription_ping, name="ping"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay, name="replay"),
]
