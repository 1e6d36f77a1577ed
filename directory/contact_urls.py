from django.urls import path

from directory import activity_views, merge_views
from directory import contact_views as views

app_name = "contacts"

urlpatterns = [
    path("contacts/", views.contact_list, name="list"),
    path("contacts/new/", views.contact_create, name="create"),
    path("contacts/trash/", views.contact_trash, name="trash"),
    path("contacts/duplicates/", merge_views.contact_duplicates, name="duplicates"),
    path("contacts/merge/", merge_views.contact_merge, name="merge"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="detail"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="delete"),
    path("contacts/<int:contact_id>/restore/", views.contact_restore, name="restore"),
    path("contacts/<int:contact_id>/log-activity/", activity_views.contact_log_activity, name="log_activity"),
    path("contacts/<int:contact_id>/timeline/", views.contact_timeline, name="timeline"),
    path("contacts/<int:contact_id>/consent/", views.contact_consent, name="consent"),
    path("contacts/<int:contact_id>/consent/ask/", views.contact_consent_ask, name="consent_ask"),
]
