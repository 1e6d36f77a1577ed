"""`/api/v1/` (the operations and `openapi.json`) and `/api/docs/` (browsable, signed-in users)."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.http import require_GET

from api import docs
from api.main import api


def _public(patterns):
    """The API answers its own 401 (problem+json), so the site's login redirect must not apply."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _public(pattern.url_patterns)
        else:
            pattern.callback.login_required = False
    return patterns


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("api/v1/", (_public(_patterns), _app_name, _namespace)),
    path("api/docs/", login_required(require_GET(docs.docs_page)), name="api-docs"),
]
