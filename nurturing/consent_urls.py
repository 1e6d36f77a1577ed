"""The consent pages of the nurturing app (nurturing/urls.py joins them under one namespace):
public, no login, the token is the key (nurturing/consent_views.py)."""

from django.urls import path

from nurturing import consent_views as views

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # The first address of the unsubscribe page: e-mails already delivered carry it.
    path("e/u/<str:token>/", views.unsubscribe, name="unsubscribe_first_address"),
    path("e/p/<str:token>/", views.preferences, name="preferences"),
    path("e/c/<str:token>/", views.confirm, name="confirm"),
]
