from __future__ import annotations

from django.urls import path

from piste.emails import views_config as views

app_name = "email_config"

# /config/emails/: the SMTP accounts and the templates (administrators).
urlpatterns = [
    path("", views.accounts, name="home"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/new/", views.account_edit, name="account_create"),
    path("accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("accounts/<int:pk>/delete/", views.account_delete, name="account_delete"),
    path("accounts/<int:pk>/test/", views.account_test, name="account_test"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_edit, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
