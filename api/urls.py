"""`/api/v1/` (the operations and `openapi.json`), `/api/docs/` (browsable, signed-in users) and
the personal access tokens of the preferences (`/accounts/tokens/`, admins: `/accounts/tokens/all/`)."""

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.decorators.http import require_GET

from api import docs, views
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
    path("accounts/tokens/", views.token_list, name="api-tokens"),
    path("accounts/tokens/all/", views.token_all, name="api-tokens-all"),
    path("accounts/tokens/<int:token_id>/revoke/", views.token_revoke, name="api-token-revoke"),
]
