"""The browsable API documentation for signed-in users (Swagger UI served from the
django-ninja package's own static files: no CDN)."""

from django.shortcuts import render
from django.urls import reverse


def docs_page(request):
    return render(request, "api/docs.html", {"openapi_url": reverse("api:openapi-json")})
