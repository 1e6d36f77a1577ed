"""The customer's quote link (no login): included at /q/ by quotes/urls.py, in its `quotes`
namespace (quotes:public, quotes:public_pdf, quotes:public_accept, quotes:public_decline)."""

from django.urls import path

from quotes import public_views

urlpatterns = [
    path("<str:token>/", public_views.quote_page, name="public"),
    path("<str:token>/pdf/", public_views.quote_pdf, name="public_pdf"),
    path("<str:token>/accept/", public_views.quote_accept, name="public_accept"),
    path("<str:token>/decline/", public_views.quote_decline, name="public_decline"),
]
