from django.urls import path

from directory import activity_views, merge_views, views

app_name = "organizations"

urlpatterns = [
    path("organizations/", views.organization_list, name="list"),
    path("organizations/new/", views.organization_create, name="create"),
    path("organizations/suggest/", views.organization_suggest, name="suggest"),
    path("organizations/trash/", views.organization_trash, name="trash"),
    path("organizations/duplicates/", merge_views.organization_duplicates, name="duplicates"),
    path("organizations/merge/", merge_views.organization_merge, name="merge"),
    path("organizations/<int:organization_id>/", views.organization_detail, name="detail"),
    path("organizations/<int:organization_id>/edit/", views.organization_edit, name="edit"),
    path("organizations/<int:organization_id>/delete/", views.organization_delete, name="delete"),
    path("organizations/<int:organization_id>/restore/", views.organization_restore, name="restore"),
    path(
        "organizations/<int:organization_id>/log-activity/",
        activity_views.organization_log_activity,
        name="log_activity",
    ),
    path("organizations/<int:organization_id>/timeline/", views.organization_timeline, name="timeline"),
]
