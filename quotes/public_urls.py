"""The customer's quote link (no login): mounted at /q/ by pipeline_crm/urls.py."""

from django.urls import path

from quotes import public_views

app_name = "quotes"

urlpatterns = [
    path("<str:token>/", public_views.quote_page, name="public"),
    path("<str:token>/pdf/", public_views.quote_pdf, name="public_pdf"),
    path("<str:token>/accept/", public_views.quote_accept, name="public_accept"),
    path("<str:token>/decline/", public_views.quote_decline, name="public_decline"),
]
