"""Bad input never answers 500: every route, for every role, with real ids, unknown ids and junk.

The test client re-raises any exception a view lets escape, so a crash fails the test; a
response with status 500 fails it too.
"""

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.services import rate_limit_key
from activities.models import Notification
from leads.models import LeadImport
from tests import factories


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


ROUTES = sorted(
    {
        route
        for route in walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "i18n/", "accounts/logout/")) and "<path:" not in route
    }
)
JUNK = {
    "stage": "not-a-number",
    "version": "-1",
    "position": "NaN",
    "reason": "999999",
    "value": "-5",
    "expected_close_date": "2026-13-45",
    "due_at": "yesterday-ish",
    "owner": "999999",
    "status": "nonsense",
    "q": "' OR 1=1 --",
    "page": "-3",
    "after": "garbage:cursor",
    "period": "9999",
    "from": "bad",
    "to": "bad",
    "pipeline": "abc",
    "email": "not-an-email",
    "need": "7",
    "kind": "telepathy",
}


@pytest.fixture(autouse=True)
def _quote_link_counter_left_clean():
    """The junk requests open many unknown quote links from one address: after them, later
    tests must not find that address blocked."""
    yield
    cache.delete(rate_limit_key("quote-link-miss", "127.0.0.1"))


@pytest.fixture
def world(rep, teammate, outsider, manager, admin):
    deal = factories.DealFactory(owner=rep)
    lead = factories.LeadFactory(owner=rep)
    activity = factories.ActivityFactory(deal=deal)
    notification = factories.NotificationFactory(user=rep, deal=deal)
    lead_import = LeadImport.objects.create(created_by=rep, file_name="leads.csv")
    product = factories.ProductFactory()
    line = deal.line_items.create(product=product, unit_price=1)
    return {
        "line_id": line.pk,
        "product_id": product.pk,
        "pipeline_id": deal.pipeline_id,
        "stage_id": deal.stage_id,
        "deal_id": deal.pk,
        "lead_id": lead.pk,
        "activity_id": activity.pk,
        "notification_id": notification.pk,
        "import_id": lead_import.pk,
        "section": "funnel",
    }


def concrete(route, values, unknown=False):
    def fill(match):
        name = match.group(2)
        if unknown:
            return "999999" if match.group(1) == "int" else "nope"
        return str(values.get(name, 1))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


@pytest.mark.parametrize("role", ["rep", "outsider", "manager", "admin"])
def test_no_route_answers_500(client, request, world, role):
    user = request.getfixturevalue(role)
    checked = redirected_to_login = 0
    for route in ROUTES:
        client.force_login(user)
        for unknown in (False, True):
            url = concrete(route, world, unknown=unknown)
            for response in (
                client.get(url, JUNK),
                client.get(url, JUNK, HTTP_HX_REQUEST="true"),
                client.post(url, JUNK),
                client.post(url, JUNK, HTTP_HX_REQUEST="true"),
                client.post(url, {}),
            ):
                assert response.status_code < 500, f"{url} answered {response.status_code}"
                checked += 1
                redirected_to_login += response.get("Location", "").startswith("/accounts/login/")
    assert checked >= 5 * 2 * 30
    assert redirected_to_login < checked / 10  # the user stayed signed in: the views really ran


def test_unknown_ids_never_leak_into_notifications(world):
    # the junk requests above must not have created anything for other users
    assert not Notification.objects.filter(created_at__gt=timezone.now()).exists()
