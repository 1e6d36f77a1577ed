"""The board in real Chromium: drag and drop, the drop zones, the keyboard control, live updates."""

import re

import pytest
from playwright.sync_api import expect

from deals import defaults, services
from deals.models import Deal, LostReason, Pipeline, Stage, StageChange
from tests import factories


@pytest.fixture
def board_cast(transactional_db):
    # transactional_db flushes the tables after each test, the migrated pipelines included.
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    manager = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role="manager")
    north.managers.add(manager)
    stages = factories.default_stages()
    return rep, manager, stages


def column(page, stage):
    return page.locator(f'section.board-column[data-stage-id="{stage.pk}"]')


def card(page, deal):
    return page.locator(f'li.deal-card[data-deal-id="{deal.pk}"]')


def drag(page, source, target_locator_fn, *, top=False):
    """SortableJS needs real mouse steps (drag_to does not register). `top`: aim at the
    target's top edge (to land above a card) instead of its centre."""
    grip = source.locator(".deal-org").bounding_box()
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 5, y + 5, steps=2)
    box = target_locator_fn().bounding_box()
    target_y = box["y"] + 4 if top else box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, target_y, steps=20)
    if top:
        # Sortable ignores the pointer while its swap animation runs: settle, then nudge.
        page.wait_for_timeout(300)
        page.mouse.move(box["x"] + box["width"] / 2, target_y + 2, steps=4)
    page.mouse.up()


def test_rep_drags_a_card_to_the_next_column(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    factories.DealFactory(owner=rep, stage=stages[1], title="Other deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    expect(column(page, stages[1]).get_by_test_id("column-total")).to_contain_text("10,000")

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        drag(page, card(page, deal), lambda: column(page, stages[1]).locator(".card-list"))
    assert answer.value.status == 200
    expect(column(page, stages[1]).get_by_test_id("column-total")).to_contain_text("20,000")
    expect(column(page, stages[0]).get_by_test_id("column-count")).to_have_text("0")

    page.reload()
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages[1]).get_by_test_id("column-total")).to_contain_text("20,000")
    assert StageChange.objects.filter(deal=deal, kind="moved", from_stage=stages[0], to_stage=stages[1]).count() == 1


def test_rep_marks_a_deal_lost_through_the_drop_zone(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    reason = factories.LostReasonFactory(name="Chose a competitor")
    deal = factories.DealFactory(owner=rep, stage=stages[2], title="Lost cause")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")

    drag(page, card(page, deal), lambda: page.locator(".dropzone-lost"))
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was it lost?").select_option(label=reason.name)
    dialog.get_by_label("Note (optional)").fill("Cheaper offer")
    dialog.get_by_role("button", name="Mark as lost").click()

    expect(card(page, deal)).to_have_count(0)
    expect(dialog).to_be_hidden()
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_from_stage, deal.lost_note) == (
        "lost",
        reason,
        stages[2],
        "Cheaper offer",
    )


def test_rep_moves_a_card_with_the_keyboard(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Keyboard deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")

    card(page, deal).get_by_role("link", name="Move to…").focus()
    page.keyboard.press("Enter")
    select = page.locator("#board-dialog").get_by_label("Stage")
    expect(select).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(column(page, stages[2]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    deal.refresh_from_db()
    assert deal.stage == stages[2]


def test_manager_sees_a_reps_move_within_15_seconds(page, live_server, login, board_cast):
    rep, manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Watched deal")
    login(page, manager)
    page.goto(f"{live_server.url}/board/")
    expect(column(page, stages[0]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()

    rep_page = page.context.browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    login(rep_page, rep)
    rep_page.goto(f"{live_server.url}/board/")
    with rep_page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST"):
        drag(rep_page, card(rep_page, deal), lambda: column(rep_page, stages[1]).locator(".card-list"))

    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible(timeout=15_000)
    expect(column(page, stages[0]).get_by_test_id("column-count")).to_have_text("0")
    rep_page.context.close()


def test_a_deal_title_with_markup_shows_as_text(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    title = "<img src=x onerror=alert(1)>"
    deal = factories.DealFactory(owner=rep, stage=stages[0], title=title)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, rep)
    page.goto(f"{live_server.url}/board/")

    expect(card(page, deal).locator(".deal-title")).to_have_text(title)
    expect(card(page, deal).locator("img")).to_have_count(0)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert dialogs == []
    assert Deal.objects.get(pk=deal.pk).title == title


def test_a_stale_drop_shows_who_changed_the_deal_and_where_it_really_is(page, live_server, login, board_cast):
    rep, manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Contended deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    services.deal_move(deal_id=deal.pk, stage_id=stages[2].pk, version=1, actor=manager)

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        drag(page, card(page, deal), lambda: column(page, stages[1]).locator(".card-list"))
    assert answer.value.status == 409
    expect(page.get_by_test_id("board-message").last).to_contain_text("changed by Maria Miller")
    expect(column(page, stages[2]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_have_count(0)


def test_filters_apply_on_change_and_stay_in_the_url(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    teammate = factories.UserFactory(username="bob", first_name="Bob", last_name="Brown", team=rep.team)
    mine = factories.DealFactory(owner=rep, stage=stages[0], title="Mine")
    theirs = factories.DealFactory(owner=teammate, stage=stages[0], title="Theirs")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    expect(card(page, theirs)).to_be_visible()

    page.get_by_label("Owner").select_option(label="Me")
    expect(card(page, theirs)).to_have_count(0)
    expect(card(page, mine)).to_be_visible()
    expect(column(page, stages[0]).get_by_test_id("column-count")).to_have_text("1")
    assert "owner=me" in page.url


def test_rep_reorders_cards_within_a_column(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    first, second, third = (
        factories.DealFactory(owner=rep, stage=stages[0], position=float(p), title=f"Card {p}") for p in (1, 2, 3)
    )
    login(page, rep)
    page.goto(f"{live_server.url}/board/")

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        drag(page, card(page, third), lambda: card(page, first), top=True)
    assert answer.value.status == 200
    page.reload()
    ids = (
        column(page, stages[0])
        .locator("li.deal-card")
        .evaluate_all("cards => cards.map(c => Number(c.dataset.dealId))")
    )
    assert ids == [third.pk, first.pk, second.pk]
    assert not StageChange.objects.filter(deal=third, kind="moved").exists()


def test_a_move_lost_on_the_network_puts_the_card_back(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Unlucky deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    page.route("**/move/", lambda route: route.abort())

    drag(page, card(page, deal), lambda: column(page, stages[1]).locator(".card-list"))
    expect(page.get_by_test_id("board-message").last).to_contain_text("could not be reached")
    expect(column(page, stages[0]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_have_count(0)
    deal.refresh_from_db()
    assert deal.stage == stages[0]


def test_a_teammates_card_is_read_only_and_cannot_be_dragged(page, live_server, login, board_cast):
    rep, _manager, stages = board_cast
    teammate = factories.UserFactory(username="bob", first_name="Bob", last_name="Brown", team=rep.team)
    theirs = factories.DealFactory(owner=teammate, stage=stages[0], title="Bob's deal")
    moves = []
    page.on("request", lambda r: moves.append(r.url) if "/move/" in r.url and r.method == "POST" else None)
    login(page, rep)
    page.goto(f"{live_server.url}/board/")

    expect(card(page, theirs)).to_have_attribute("title", "Bob Brown’s deal: you can open it but not change it.")
    expect(card(page, theirs).get_by_test_id("card-readonly")).to_be_visible()
    expect(card(page, theirs).get_by_role("link", name="Move to…")).to_have_count(0)
    expect(card(page, theirs).get_by_role("button", name="Won")).to_have_count(0)
    drag(page, card(page, theirs), lambda: column(page, stages[1]).locator(".card-list"))
    page.wait_for_timeout(500)
    assert moves == []
    expect(column(page, stages[0]).locator(f'[data-deal-id="{theirs.pk}"]')).to_be_visible()
    expect(column(page, stages[1]).locator(f'[data-deal-id="{theirs.pk}"]')).to_have_count(0)


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])
def test_a_refused_drag_keeps_the_board_whole_and_puts_the_card_back(
    page, live_server, login, board_cast, settings, debug
):
    """The card was Alice's when her board loaded; the manager has since handed it to Bob.
    Her drop is refused (403): the page stays the board (even with DEBUG's error overlay
    script loaded), the card returns to its column, now read-only, and the reason shows."""
    settings.DEBUG = debug
    rep, manager, stages = board_cast
    teammate = factories.UserFactory(username="bob", first_name="Bob", last_name="Brown", team=rep.team)
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Handed over")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    # base.html loads htmx without django-htmx's DEBUG script, which would put the body of any
    # 4xx/5xx answer in place of the page; board.js keeps such handlers out anyway.
    assert page.locator('script[src*="django-htmx.js"]').count() == 0
    services.deal_update(deal_id=deal.pk, version=1, actor=manager, owner=teammate)

    with page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        drag(page, card(page, deal), lambda: column(page, stages[1]).locator(".card-list"))
    assert answer.value.status == 403
    expect(page.get_by_test_id("board-message").last).to_have_text("You may look at this deal but not change it.")
    expect(column(page, stages[0]).locator(f'[data-deal-id="{deal.pk}"]')).to_have_class(re.compile("is-readonly"))
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_have_count(0)
    # The page is whole: styled, with its navigation and every column.
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.locator("section.board-column")).to_have_count(len(stages))
    assert page.evaluate("getComputedStyle(document.querySelector('.board')).display") == "flex"
    deal.refresh_from_db()
    assert (deal.stage, deal.owner) == (stages[0], teammate)


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])
def test_a_server_error_on_a_drop_keeps_the_board_and_shows_the_truth(
    page, live_server, login, board_cast, settings, debug
):
    settings.DEBUG = debug
    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Unlucky deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    page.route("**/move/", lambda route: route.fulfill(status=500, content_type="text/html", body="<h1>Boom</h1>"))

    drag(page, card(page, deal), lambda: column(page, stages[1]).locator(".card-list"))
    expect(page.get_by_test_id("board-message").last).to_contain_text("could not complete this action")
    expect(column(page, stages[0]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    expect(column(page, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_have_count(0)
    expect(page.locator("h1", has_text="Boom")).to_have_count(0)
    expect(page.locator("header.topbar")).to_be_visible()


def test_a_board_left_open_after_the_session_ended_goes_to_the_login_and_back(page, live_server, login, board_cast):
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    rep, _manager, stages = board_cast
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Overnight deal")
    login(page, rep)
    page.goto(f"{live_server.url}/board/?owner=me")
    expect(card(page, deal)).to_be_visible()
    Session.objects.all().delete()  # the session ended (expired, or a logout elsewhere)
    cache.clear()

    page.evaluate("htmx.trigger(document.body, 'board-refresh')")  # the next poll, without waiting 10 s
    page.wait_for_url("**/accounts/login/?next=/board/%3Fowner%3Dme")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/board/?owner=me")
    expect(card(page, deal)).to_be_visible()
