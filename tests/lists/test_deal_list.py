"""The deal list: the board's filters and scope as a sortable table, 50 a page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_rep_sees_their_teams_deals_only(client, rep, teammate, outsider, stages):
    factories.DealFactory(owner=rep, stage=stages[0], title="Mine")
    factories.DealFactory(owner=teammate, stage=stages[0], title="Team")
    factories.DealFactory(owner=outsider, stage=stages[0], title="Other team")
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"o": "title"})
    assert [d.title for d in response.context["page"]] == ["Mine", "Team"]


def test_the_list_shows_open_deals_unless_asked_for_all(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], title="Open")
    factories.DealFactory(owner=rep, stage=stages[0], title="Won", status=Deal.Status.WON, won_at=timezone.now())
    client.force_login(rep)
    assert [d.title for d in client.get(reverse("deals:list")).context["page"]] == ["Open"]
    everything = client.get(reverse("deals:list"), {"status": "all", "o": "title"}).context["page"]
    assert [d.title for d in everything] == ["Open", "Won"]


def test_columns_sort_both_ways(client, rep, stages):
    for value in (300, 100, 200):
        factories.DealFactory(owner=rep, stage=stages[0], value=Decimal(value), title=f"V{value}")
    client.force_login(rep)
    assert [d.title for d in client.get(reverse("deals:list"), {"o": "value"}).context["page"]] == [
        "V100",
        "V200",
        "V300",
    ]
    assert [d.title for d in client.get(reverse("deals:list"), {"o": "-value"}).context["page"]] == [
        "V300",
        "V200",
        "V100",
    ]


def test_pages_hold_fifty_deals_and_htmx_gets_the_table(client, rep, stages, bulk_deals):
    bulk_deals(60, owner=rep, stages=stages)
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"page": 2})
    assert len(response.context["page"]) == 10
    partial = client.get(reverse("deals:list"), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="deal-table">')
    assert "<html" not in partial


def test_bad_input_filters_nothing_in_and_never_fails(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    response = client.get(reverse("deals:list"), {"close_from": "not a date", "o": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 0


def test_hidden_columns_are_left_out(client, rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("4321"))
    client.force_login(rep)
    page = client.get(reverse("deals:list"), {"cols": "owner"}).content.decode()
    assert "4,321" not in page and "4.321" not in page
    assert str(rep) in page


@pytest.mark.parametrize("viewer", ["rep", "manager", "admin"])
def test_the_query_count_does_not_grow_with_the_deals(client, request, rep, stages, bulk_deals, viewer):
    # 1 user with their team, 2 owner choices (filter form), 3 count, 4 the page of deals with
    # stage, pipeline, owner and organization, 5 their tags, 6-8 product, persona and tag
    # choices (filter form).
    client.force_login(request.getfixturevalue(viewer))
    for deal in bulk_deals(10, owner=rep, stages=stages)[:3]:
        deal.tags.add(factories.TagFactory())
    client.get(reverse("deals:list"))  # warm-up
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("deals:list"), {"o": "-value"})
    bulk_deals(990, owner=rep, stages=stages)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("deals:list"), {"o": "-value"})
    assert len(response.context["page"]) == 50
    assert len(small) == len(large) == 8
