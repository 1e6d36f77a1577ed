from django.urls import path

from directory import merge_views

app_name = "merges"

urlpatterns = [
    path("merges/<int:merge_id>/", merge_views.merge_detail, name="detail"),
    path("merges/<int:merge_id>/undo/", merge_views.merge_undo, name="undo"),
]
