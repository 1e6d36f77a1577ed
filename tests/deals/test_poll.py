"""The conditional poll that shows other users' changes."""

import pytest
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import Deal
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0])


def poll(client, pipeline, etag, query=""):
    url = reverse("deals:board_poll", args=[pipeline.pk]) + (f"?{query}" if query else "")
    return client.get(url, HTTP_IF_NONE_MATCH=etag, **HTMX)


def test_poll_of_an_unchanged_board_answers_304(client, manager, deal, pipeline):
    client.force_login(manager)
    etag = client.get(reverse("deals:board"))["ETag"]
    assert poll(client, pipeline, etag).status_code == 304


def test_poll_after_another_users_move_answers_200_with_the_columns(client, manager, rep, deal, stages, pipeline):
    client.force_login(manager)
    etag = client.get(reverse("deals:board"))["ETag"]
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    response = poll(client, pipeline, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    page = response.content.decode()
    assert page.count('hx-swap-oob="true"') == len(stages)
    column_2 = page[page.index(f'id="column-{stages[1].pk}"') :]
    assert f'data-deal-id="{deal.pk}"' in column_2


def test_poll_notices_an_activity_touching_the_deal(client, rep, deal, pipeline):
    client.force_login(rep)
    etag = client.get(reverse("deals:board"))["ETag"]
    # What the activities app does when an activity of the deal is created or done.
    Deal.objects.filter(pk=deal.pk).update(last_activity_at=timezone.now(), updated_at=timezone.now())
    assert poll(client, pipeline, etag).status_code == 200


def test_poll_etag_depends_on_the_filters(client, rep, deal, pipeline):
    client.force_login(rep)
    etag = client.get(reverse("deals:board"))["ETag"]
    assert poll(client, pipeline, etag, "owner=me").status_code == 200


def test_poll_etag_differs_between_users(client, rep, teammate, deal, pipeline):
    client.force_login(rep)
    etag = client.get(reverse("deals:board"))["ETag"]
    client.force_login(teammate)
    assert poll(client, pipeline, etag).status_code == 200


def test_poll_after_a_deal_leaves_the_filter_answers_200(client, rep, deal, pipeline):
    client.force_login(rep)
    etag = client.get(reverse("deals:board"))["ETag"]
    services.deal_win(deal_id=deal.pk, version=1, actor=rep)
    assert poll(client, pipeline, etag).status_code == 200
