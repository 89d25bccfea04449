from django.urls import path

from piste.core import views_uploads

app_name = "uploads"

# /uploads/: pictures of rich text, served only to users of their company.
urlpatterns = [
    path("", views_uploads.upload_create, name="create"),
    path("<uuid:key>/", views_uploads.upload_file, name="file"),
]
