"""Cards the viewer cannot change are read-only, and every refused board action answers with
its real status, the message and the columns as they really are — under htmx (only the
out-of-band parts land) and without JavaScript (the whole board page, not a redirect)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals import services
from deals.models import Deal, StageChange
from tests import factories

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def teammates_deal(teammate, stages):
    return factories.DealFactory(owner=teammate, stage=stages[0], title="Bob's deal", value=Decimal("500"))


@pytest.fixture
def own_deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Alice's deal")


def card_html(page, deal):
    start = page.index(f'data-deal-id="{deal.pk}"')
    return page[page.rindex("<li", 0, start) : page.index("</li>", start)]


def board(client):
    return client.get(reverse("deals:board")).content.decode()


# --- read-only cards ------------------------------------------------------------------------------


def test_a_teammates_card_is_read_only_for_a_rep(client, rep, teammates_deal, own_deal):
    client.force_login(rep)
    page = board(client)
    theirs, mine = card_html(page, teammates_deal), card_html(page, own_deal)
    assert "is-readonly" in theirs and "is-readonly" not in mine
    assert "Bob Brown’s deal: you can open it but not change it." in theirs  # the tooltip
    assert 'data-testid="card-readonly"' in theirs
    for control in ("deals:move", "deals:win"):
        assert reverse(control, args=[teammates_deal.pk]) not in theirs
        assert reverse(control, args=[own_deal.pk]) in mine
    # The title still opens the deal.
    assert reverse("deals:detail", args=[teammates_deal.pk]) in theirs


@pytest.mark.parametrize("viewer", ["manager", "admin"])
def test_managers_and_admins_may_change_their_teams_cards(client, request, teammates_deal, viewer):
    client.force_login(request.getfixturevalue(viewer))
    assert "is-readonly" not in card_html(board(client), teammates_deal)


def test_read_only_flags_cost_no_query_of_their_own(client, django_assert_max_num_queries, manager, stages, team_north):
    members = [factories.UserFactory(team=team_north) for _ in range(3)]
    for index in range(30):
        factories.DealFactory(owner=members[index % 3], stage=stages[index % 2])
    client.force_login(manager)
    # The board's budget for every role (docs/board.md) plus the session and user lookups.
    with django_assert_max_num_queries(8):
        page = board(client)
    assert "is-readonly" not in page


# --- refusals under htmx ----------------------------------------------------------------------------


def assert_refusal(response, status, message):
    assert response.status_code == status
    assert response["HX-Reswap"] == "none"  # nothing but the out-of-band parts may land
    page = response.content.decode()
    assert 'id="messages" hx-swap-oob="beforeend"' in page
    assert message in page
    return page


def test_a_refused_drag_answers_403_with_the_card_back_in_its_column(client, rep, teammates_deal, stages):
    client.force_login(rep)
    url = reverse("deals:move", args=[teammates_deal.pk])
    response = client.post(url, {"stage": stages[1].pk, "version": 1, "from_stage": stages[0].pk}, **HTMX)
    page = assert_refusal(response, 403, "You may look at this deal but not change it.")
    column = page[page.index(f'id="column-{stages[0].pk}"') : page.index(f'id="column-{stages[1].pk}"')]
    assert f'data-deal-id="{teammates_deal.pk}"' in column
    assert "is-readonly" in card_html(column, teammates_deal)
    assert not StageChange.objects.filter(deal=teammates_deal, kind="moved").exists()


@pytest.mark.parametrize("action", ["win", "reopen"])
def test_refused_outcomes_answer_403_with_the_column(client, rep, teammates_deal, stages, action):
    client.force_login(rep)
    response = client.post(
        reverse(f"deals:{action}", args=[teammates_deal.pk]), {"version": 1, "from": "board"}, **HTMX
    )
    page = assert_refusal(response, 403, "You may look at this deal but not change it.")
    assert f'id="column-{stages[0].pk}"' in page


def test_the_move_dialog_of_a_teammates_deal_is_refused_without_opening(client, rep, teammates_deal, stages):
    client.force_login(rep)
    response = client.get(reverse("deals:move", args=[teammates_deal.pk]), **HTMX)
    page = assert_refusal(response, 403, "You may look at this deal but not change it.")
    assert "move-dialog" not in page


def test_an_invisible_deal_answers_404_and_asks_for_a_full_refresh(client, outsider, own_deal, stages):
    client.force_login(outsider)
    response = client.post(reverse("deals:move", args=[own_deal.pk]), {"stage": stages[1].pk, "version": 1}, **HTMX)
    page = assert_refusal(response, 404, "This deal does not exist or is not visible to you.")
    assert response["HX-Trigger"] == "board-refresh"
    assert "Alice" not in page  # nothing of the deal is revealed


def test_malformed_input_answers_400_with_a_message_and_a_full_refresh(client, rep, own_deal):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[own_deal.pk]), {"stage": "x"}, **HTMX)
    assert_refusal(response, 400, "The move could not be read.")
    assert response["HX-Trigger"] == "board-refresh"


def test_a_stale_version_answers_409_with_the_fresh_columns(client, rep, manager, own_deal, stages):
    services.deal_move(deal_id=own_deal.pk, stage_id=stages[2].pk, version=1, actor=manager)
    client.force_login(rep)
    response = client.post(
        reverse("deals:move", args=[own_deal.pk]),
        {"stage": stages[1].pk, "version": 1, "from_stage": stages[0].pk},
        **HTMX,
    )
    page = assert_refusal(response, 409, "This deal was changed by Maria Miller")
    assert f'data-deal-id="{own_deal.pk}" data-version="2"' in page[page.index(f'id="column-{stages[2].pk}"') :]


def test_a_success_swaps_normally(client, rep, own_deal, stages):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[own_deal.pk]), {"stage": stages[1].pk, "version": 1}, **HTMX)
    assert response.status_code == 200
    assert "HX-Reswap" not in response


# --- refusals without JavaScript: the real status and a whole page ------------------------------------


def assert_full_page(response, status, message):
    assert response.status_code == status
    page = response.content.decode()
    assert page.lstrip().startswith("<!doctype html>")
    assert 'id="board"' in page
    assert message in page
    return page


def test_without_javascript_a_refused_move_is_a_403_page(client, rep, teammates_deal, stages):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[teammates_deal.pk]), {"stage": stages[1].pk, "version": 1})
    assert_full_page(response, 403, "You may look at this deal but not change it.")


def test_without_javascript_an_invisible_deal_is_a_404_page(client, outsider, own_deal, stages):
    client.force_login(outsider)
    response = client.post(reverse("deals:move", args=[own_deal.pk]), {"stage": stages[1].pk, "version": 1})
    assert_full_page(response, 404, "This deal does not exist or is not visible to you.")


def test_without_javascript_a_stale_move_is_a_409_page_with_the_filters_kept(client, rep, manager, own_deal, stages):
    services.deal_move(deal_id=own_deal.pk, stage_id=stages[2].pk, version=1, actor=manager)
    client.force_login(rep)
    url = reverse("deals:move", args=[own_deal.pk]) + "?owner=me"
    response = client.post(url, {"stage": stages[1].pk, "version": 1})
    page = assert_full_page(response, 409, "This deal was changed by Maria Miller")
    assert '<option value="me" selected>' in page


def test_without_javascript_malformed_input_is_a_400_page(client, rep, own_deal):
    client.force_login(rep)
    response = client.post(reverse("deals:move", args=[own_deal.pk]), {"stage": "x"})
    assert_full_page(response, 400, "The move could not be read.")


def test_without_javascript_a_refused_win_from_the_board_is_a_403_page(client, rep, teammates_deal):
    client.force_login(rep)
    response = client.post(reverse("deals:win", args=[teammates_deal.pk]), {"version": 1, "from": "board"})
    assert_full_page(response, 403, "You may look at this deal but not change it.")
    teammates_deal.refresh_from_db()
    assert teammates_deal.status == Deal.Status.OPEN


def test_a_stale_win_on_the_deal_page_is_a_409_deal_page(client, rep, manager, own_deal):
    services.deal_update(deal_id=own_deal.pk, version=1, actor=manager, title="Renamed")
    client.force_login(rep)
    response = client.post(reverse("deals:win", args=[own_deal.pk]), {"version": 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "This deal was changed by Maria Miller" in page
    assert "<h1>Renamed</h1>" in page


def test_an_edit_of_a_teammates_deal_is_a_403_deal_page(client, rep, teammates_deal):
    client.force_login(rep)
    response = client.post(reverse("deals:detail", args=[teammates_deal.pk]), {"title": "Mine now", "version": 1})
    assert response.status_code == 403
    assert "You may look at this deal but not change it." in response.content.decode()
    teammates_deal.refresh_from_db()
    assert teammates_deal.title == "Bob's deal"
