"""Every list's cursor: a crafted one is a 422 problem, never a 500 (whatever the resource)."""

import base64

import pytest

from tests import factories
from tests.api.helpers import ApiClient, is_problem
from tests.api.test_access_matrix import API_OPERATIONS

pytestmark = pytest.mark.django_db

LISTS = [path for method, path in API_OPERATIONS if method == "GET" and "{" not in path and path != "/openapi.json"]


def _cursor(raw):
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        _cursor("p=xx"),
        _cursor("p=99999999999999999999999"),
        _cursor("p=-99999999999999999999"),
        _cursor("o=-1&p=1"),
        _cursor("p=1&r=maybe"),
    ],
)
def test_a_crafted_cursor_is_a_422(admin, stages, path, cursor):
    factories.DealFactory(stage=stages[0])
    response = ApiClient(admin).get(f"/api/v1{path}", {"cursor": cursor})
    if response.status_code == 200 and "results" not in response.json():
        pytest.skip("not a paged list")
    body = is_problem(response, 422)
    assert any(error["field"] == "cursor" for error in body["errors"]), body


def test_paging_through_two_pages_with_the_cursor(admin, stages):
    deals = [factories.DealFactory(stage=stages[0]) for _ in range(3)]
    api = ApiClient(admin)
    first = api.get("/api/v1/deals/", {"page_size": 2}).json()
    assert [d["id"] for d in first["results"]] == [deals[2].pk, deals[1].pk]
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    from urllib.parse import unquote

    second = api.get("/api/v1/deals/", {"page_size": 2, "cursor": unquote(cursor)}).json()
    assert [d["id"] for d in second["results"]] == [deals[0].pk]
    assert second["next"] is None


@pytest.mark.parametrize("cursor", ["garbage!", _cursor("p=xx"), _cursor("o=-1&p=1")])
def test_a_crafted_cursor_on_a_webhooks_delivery_log_is_a_422(rep, cursor):
    from webhooks import services

    subscription, _secret = services.subscription_create(
        actor=rep, url="https://93.184.216.34/hook", events=["deal.won"]
    )
    response = ApiClient(rep).get(f"/api/v1/webhooks/{subscription.pk}/deliveries", {"cursor": cursor})
    body = is_problem(response, 422)
    assert any(error["field"] == "cursor" for error in body["errors"]), body
