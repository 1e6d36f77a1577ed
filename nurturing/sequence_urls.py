"""The sequence and segment pages of the nurturing app (nurturing/urls.py joins them under one namespace)."""

from django.urls import path

from nurturing import segment_views, sequence_views

urlpatterns = [
    path("sequences/", sequence_views.sequence_list, name="sequence_list"),
    path("sequences/new/", sequence_views.sequence_create, name="sequence_create"),
    path("sequences/<int:sequence_id>/", sequence_views.sequence_detail, name="sequence_detail"),
    path("sequences/<int:sequence_id>/edit/", sequence_views.sequence_edit, name="sequence_edit"),
    path("sequences/<int:sequence_id>/status/", sequence_views.sequence_status, name="sequence_status"),
    path("sequences/<int:sequence_id>/steps/new/", sequence_views.step_create, name="step_create"),
    path("sequences/<int:sequence_id>/steps/<int:step_id>/edit/", sequence_views.step_edit, name="step_edit"),
    path("sequences/<int:sequence_id>/steps/<int:step_id>/delete/", sequence_views.step_delete, name="step_delete"),
    path("sequences/<int:sequence_id>/steps/<int:step_id>/move/", sequence_views.step_move, name="step_move"),
    path(
        "sequences/enrolments/<str:kind>/<int:record_id>/",
        sequence_views.record_enrolments,
        name="record_enrolments",
    ),
    path("segments/", segment_views.segment_list, name="segment_list"),
    path("segments/new/", segment_views.segment_create, name="segment_create"),
    path("segments/<int:segment_id>/", segment_views.segment_detail, name="segment_detail"),
    path("segments/<int:segment_id>/edit/", segment_views.segment_edit, name="segment_edit"),
    path("segments/<int:segment_id>/enrol/", segment_views.segment_enrol, name="segment_enrol"),
]
