from django.urls import path

from lists import views

app_name = "lists"

urlpatterns = [
    path("lists/<slug:list_key>/toolbar/", views.toolbar, name="toolbar"),
    path("lists/<slug:list_key>/views/", views.view_save, name="view_save"),
    path("lists/views/<int:view_id>/", views.view_open, name="view_open"),
    path("lists/views/<int:view_id>/edit/", views.view_update, name="view_update"),
    path("lists/views/<int:view_id>/delete/", views.view_delete, name="view_delete"),
    path("lists/<slug:list_key>/bulk/", views.bulk, name="bulk"),
    path("lists/bulk/<int:action_id>/undo/", views.bulk_undo, name="bulk_undo"),
    path("lists/<slug:list_key>/<int:record_id>/tags/", views.record_tags, name="record_tags"),
    path("tags/", views.tag_list, name="tags"),
    path("tags/<int:tag_id>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:tag_id>/delete/", views.tag_delete, name="tag_delete"),
]
