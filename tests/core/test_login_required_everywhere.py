"""Every URL of the product except a short public list asks an anonymous visitor to log in."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Public by design: the login page, the password reset by e-mail (request, sent, link,
# done), the health check for load balancers, the public web-to-lead form and its
# thank-you page, the language switch, the customer's quote link (its secret is the key,
# tests/quotes/test_public_page.py), and the pages a marketing e-mail links to: unsubscribe,
# preferences, the double opt-in confirmation, tracked links and the open pixel (their tokens
# are the key, docs/nurturing.md), and the user's calendar feed (its key is the credential,
# docs/activities.md). The admin has its own login and is tested in test_admin.py. The API
# (`api/v1/`) answers a 401 problem instead of the login page: tests/api/test_access_matrix.py
# checks that for every operation.
PUBLIC = re.compile(
    r"^(accounts/login/|accounts/password_reset/|accounts/reset/|healthz|forms/|i18n/|admin/|q/|e/|t/|u/|calendar/"
    r"|api/v1/)"
)


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def concrete(route):
    """Fill path converters with a plausible value: ids are 1, strings are 'x'."""
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<(?:str|slug|path|uuid):?[^>]*>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


ROUTES = sorted({concrete(route) for route in walk(get_resolver().url_patterns) if not PUBLIC.match(route)})


def test_the_route_list_is_not_empty():
    assert "/board/" in ROUTES and "/dashboard/" in ROUTES


@pytest.mark.parametrize("url", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 302, f"{method.upper()} {url} answered {response.status_code}"
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/board/1/poll/", "/deals/1/move/", "/notifications/badge/"])
def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_the_login(client, db, url):
    """A board left open overnight keeps polling: the login page must replace the page, not be
    swapped into a column, and lead back to the page the user was on."""
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/board/?owner=me"}
    response = client.post(url, headers=headers) if "move" in url else client.get(url, headers=headers)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/board/%3Fowner%3Dme"
    assert response.content == b""
