"""Query budgets of the hot board views, at two data sizes (DESIGN §8)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


def count_queries(fn):
    with CaptureQueriesContext(connection) as captured:
        response = fn()
    return response, len(captured)


@pytest.mark.parametrize("viewer", ["rep", "manager", "admin"])
def test_board_page_query_count_does_not_grow_with_the_deals(client, request, rep, stages, bulk_deals, viewer):
    # Expected (rep): 1 user with their team (the session comes from the cache), 2 owner
    # choices (filter form), 3 stages of every active pipeline with pipeline + health, totals
    # for the shown columns (correlated aggregates), 4 first page of cards of every column
    # (with the next-activity subquery), 5 product choices, 6 persona choices, 7 tag choices
    # (filter form). A manager's teams enter the scope as a subquery, so every role needs the same seven.
    client.force_login(request.getfixturevalue(viewer))
    bulk_deals(10, owner=rep, stages=stages)
    client.get(reverse("deals:board"))  # warm-up: SQLite probes its JSON support once per connection
    small, small_count = count_queries(lambda: client.get(reverse("deals:board")))
    bulk_deals(4990, owner=rep, stages=stages)
    large, large_count = count_queries(lambda: client.get(reverse("deals:board")))
    assert small.status_code == large.status_code == 200
    assert small_count == large_count <= 8
    assert large_count == 7
    assert sum(c.count for c in large.context["columns"]) == 5000
    assert large.content.decode().count("data-deal-id=") == 25 * len(stages)


def test_board_page_holds_one_page_of_cards_per_column(client, rep, stages, bulk_deals):
    bulk_deals(200, owner=rep, stages=stages[:2])
    client.force_login(rep)
    columns = client.get(reverse("deals:board")).context["columns"]
    assert [len(c.cards) for c in columns] == [25, 25, 0, 0, 0, 0]
    assert [c.count for c in columns[:2]] == [100, 100]


@pytest.mark.parametrize("size", [10, 3000])
def test_move_stays_within_eleven_queries(client, manager, rep, stages, bulk_deals, size):
    # Expected (manager, the most expensive role): 1 user (the session comes from the cache),
    # 2 SAVEPOINT (the test runs inside a transaction), 3 the deal + target stage's pipeline
    # and name, 4 the managed team ids (may the manager change this owner's deal?), 5 conditional
    # UPDATE (version check + position), 6 INSERT StageChange, 7 INSERT audit entry (stage old →
    # new; the UPDATE sends no model signal, so the service writes it), 8 INSERT the outbox event
    # "deal.moved" (webhooks), 9 RELEASE, 10 the two stages with totals, 11 their first cards.
    bulk_deals(size, owner=rep, stages=stages[:2])
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(manager)
    client.get(reverse("deals:board"))  # warm-up: SQLite probes its JSON support once per connection
    url = reverse("deals:move", args=[deal.pk])
    data = {"stage": stages[1].pk, "version": 1, "position": 3, "from_stage": stages[0].pk}
    response, queries = count_queries(lambda: client.post(url, data, **HTMX))
    assert response.status_code == 200
    assert queries == 11


@pytest.mark.parametrize("size", [10, 3000])
@pytest.mark.parametrize("viewer", ["rep", "manager"])
def test_unchanged_poll_answers_304_from_one_query_of_its_own(
    client, request, rep, stages, pipeline, bulk_deals, size, viewer
):
    # Expected: 1 user (every signed-in request; the session comes from the cache), 2 the
    # GROUP BY that makes the ETag.
    bulk_deals(size, owner=rep, stages=stages)
    client.force_login(request.getfixturevalue(viewer))
    etag = client.get(reverse("deals:board"))["ETag"]
    url = reverse("deals:board_poll", args=[pipeline.pk])
    response, queries = count_queries(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag, **HTMX))
    assert response.status_code == 304
    assert response.content == b""
    assert queries == 2
