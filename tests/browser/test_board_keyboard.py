"""The board from the keyboard on a 1366 × 768 laptop (docs/board.md, "Keyboard"): every card is a tab
stop with a visible focus ring, Enter opens the deal, M opens "Move to…", Alt+ArrowRight / Alt+ArrowLeft
move the card to the next / previous stage, keep the focus on it and announce where it went."""

import pytest
from playwright.sync_api import expect

from deals import services
from deals.models import StageChange
from tests import factories
from tests.browser.test_board import board_cast, card, column  # noqa: F401 (the fixture)

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": LAPTOP}


def _tab_to(page, locator, limit=40):
    """Press Tab until `locator` has the focus (the way a keyboard user gets there)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError("the card was not reached with Tab")


def test_a_card_is_reached_with_tab_and_shows_a_focus_ring(page, live_server, login, board_cast):  # noqa: F811
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    page.locator("#board").click(position={"x": 2, "y": 2})  # start tabbing from the board
    _tab_to(page, card(page, deal))
    ring = card(page, deal).evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth"
    )
    assert ring == "solid 3px"


def test_enter_opens_the_deal(page, live_server, login, board_cast):  # noqa: F811
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    card(page, deal).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/deals/{deal.pk}/")


def test_m_opens_the_move_dialog(page, live_server, login, board_cast):  # noqa: F811
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    card(page, deal).focus()
    page.keyboard.press("m")
    expect(page.locator("#board-dialog .move-form select")).to_be_focused()


def test_alt_arrows_move_the_card_keep_the_focus_and_announce_the_stage(page, live_server, login, board_cast):  # noqa: F811
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    card(page, deal).focus()

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        page.keyboard.press("Alt+ArrowRight")
    assert answer.value.status == 200
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(card(page, deal)).to_be_focused()
    expect(page.get_by_test_id("board-live")).to_have_text(f"Moved to {stages[1].name}")

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        page.keyboard.press("Alt+ArrowLeft")
    expect(column(page, stages[0]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(card(page, deal)).to_be_focused()
    expect(page.get_by_test_id("board-live")).to_have_text(f"Moved to {stages[0].name}")
    assert list(StageChange.objects.filter(deal=deal, kind="moved").values_list("to_stage", flat=True)) == [
        stages[1].pk,
        stages[0].pk,
    ]


def test_a_stale_keyboard_move_shows_the_refusal_and_keeps_the_focus(page, live_server, login, board_cast):  # noqa: F811
    rep, manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Contended deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    services.deal_move(deal_id=deal.pk, stage_id=stages[2].pk, version=1, actor=manager)
    card(page, deal).focus()

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        page.keyboard.press("Alt+ArrowRight")
    assert answer.value.status == 409
    expect(page.get_by_test_id("board-message").last).to_contain_text("changed by Maria Miller")
    expect(column(page, stages[2]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(card(page, deal)).to_be_focused()
    expect(page.get_by_test_id("board-live")).to_have_text("")


def test_the_moves_are_announced_in_german(browser, live_server, login, board_cast):  # noqa: F811
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    page = login(browser.new_context(locale="de-DE", viewport=LAPTOP).new_page(), rep)
    page.goto(f"{live_server.url}/board/")
    card(page, deal).focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.get_by_test_id("board-live")).to_have_text(f"Verschoben nach {stages[1].name}")
    page.context.close()
