"""The tracking pages of the nurturing app (nurturing/urls.py joins them under one namespace)."""

from django.urls import path

from nurturing import metrics_views, tracking_views

urlpatterns = [
    path("t/c/<str:token>/", tracking_views.click, name="click"),
    path("t/o/<str:token>.gif", tracking_views.open_pixel, name="open"),
    path("sequences/<int:sequence_id>/numbers/", metrics_views.sequence_numbers, name="sequence_numbers"),
]
