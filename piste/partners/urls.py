from django.urls import path

from piste.partners import views, views_accounts, views_contacts

app_name = "partners"

urlpatterns = [
    path("accounts/", views_accounts.accounts, name="accounts"),
    path("partners/choices/", views_accounts.organisation_choices, name="organisation_choices"),
    path("partners/address-block/", views.address_block, name="address_block"),
    path("partners/new/", views.partner_create, name="create"),
    path("partners/<int:pk>/", views.partner_detail, name="detail"),
    path("partners/<int:pk>/validate/", views.partner_validate, name="validate"),
    path("partners/<int:pk>/delete/", views.partner_delete, name="delete"),
    path("partners/<int:pk>/logo/", views.partner_logo, name="logo"),
    path("partners/<int:pk>/contacts/", views_contacts.contact_attach, name="contact_attach"),
    path("contacts/choices/", views_accounts.contact_choices, name="contact_choices"),
    path("contacts/new/", views_contacts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/", views_contacts.contact_detail, name="contact"),
    path("contacts/<int:pk>/delete/", views_contacts.contact_delete, name="contact_delete"),
]
