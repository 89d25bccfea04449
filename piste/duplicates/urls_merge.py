from django.urls import path

from piste.duplicates import views_merge as views

app_name = "duplicates_merge"

urlpatterns = [
    path("merge/<str:entity>/", views.merge_page, name="merge"),
    path("merges/", views.merge_history, name="history"),
    path("merges/<int:pk>/undo/", views.merge_undo_view, name="undo"),
]
