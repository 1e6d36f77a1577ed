"""The board, the deal page, the lists and the forms on a 1366 × 768 laptop and a 390 × 844 phone:
the laptop's board fits the window (columns scroll inside), the phone shows no element wider
than the screen; collapse, compact mode, the one-line filter bar, adding a deal, the Won question."""

import re

import pytest
from playwright.sync_api import expect

from deals import defaults, services
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories
from tests.browser.layout import OVERFLOW

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def assert_fits_the_phone(page):
    page.wait_for_load_state("networkidle")
    found = page.evaluate(OVERFLOW)
    assert found["wide"] == [], found
    assert found["scrollWidth"] <= found["width"], found


@pytest.fixture
def cast(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    stages = factories.default_stages()
    Stage.objects.filter(pk=stages[0].pk).update(description="Find companies that need what we sell.")
    Stage.objects.filter(pk=stages[1].pk).update(description="")  # an admin cleared the default one
    for n in range(30):
        org = factories.OrganizationFactory(name=f"Organisation with a rather long name {n:02d}")
        factories.DealFactory(owner=rep, stage=stages[0], title=f"Filler deal number {n:02d}", organization=org)
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")
    factories.DealFactory(owner=rep, stage=stages[1], title="Second column deal")
    return rep, stages, deal


def column(page, stage):
    return page.locator(f'section.board-column[data-stage-id="{stage.pk}"]')


def card(page, deal):
    return page.locator(f'li.deal-card[data-deal-id="{deal.pk}"]')


@pytest.fixture
def laptop(page):
    page.set_viewport_size(LAPTOP)
    return page


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def test_the_laptop_board_fits_the_window_and_its_columns_scroll_inside(laptop, live_server, login, cast):
    rep, stages, _deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    expect(column(laptop, stages[0]).locator("li.deal-card").first).to_be_visible()
    sizes = laptop.evaluate(
        """() => ({
          height: window.innerHeight,
          page: document.documentElement.scrollHeight,
          bottoms: [...document.querySelectorAll('.board-column')].map(c => c.getBoundingClientRect().bottom),
          board: getComputedStyle(document.querySelector('.board')).overflowX,
          list: (l => ({scroll: l.scrollHeight, client: l.clientHeight, y: getComputedStyle(l).overflowY}))(
            document.querySelector('.board-column .card-list')),
        })"""
    )
    assert max(sizes["bottoms"]) <= sizes["height"], sizes
    assert sizes["page"] <= sizes["height"], sizes
    assert sizes["board"] == "auto"
    assert sizes["list"]["y"] == "auto" and sizes["list"]["scroll"] > sizes["list"]["client"], sizes


def test_a_collapsed_column_and_compact_mode_are_remembered(laptop, live_server, login, cast):
    rep, stages, _deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    second = column(laptop, stages[1])
    second.locator("[data-column-collapse]").click()
    expect(second).to_have_class(re.compile("is-collapsed"))
    expect(second.locator("[data-column-collapse]")).to_have_attribute("aria-expanded", "false")
    wide = column(laptop, stages[2]).bounding_box()["width"]
    assert second.bounding_box()["width"] < wide / 3
    laptop.get_by_test_id("compact-toggle").click()
    expect(laptop.locator("body")).to_have_class(re.compile("board-compact"))

    laptop.reload()
    expect(column(laptop, stages[1])).to_have_class(re.compile("is-collapsed"))
    expect(laptop.locator("body")).to_have_class(re.compile("board-compact"))
    expect(laptop.get_by_test_id("compact-toggle")).to_have_attribute("aria-pressed", "true")
    column(laptop, stages[1]).locator("[data-column-collapse]").click()
    expect(column(laptop, stages[1])).not_to_have_class(re.compile("is-collapsed"))


def test_the_filter_bar_applies_as_you_type_and_keeps_the_url(laptop, live_server, login, cast):
    rep, stages, deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    expect(laptop.get_by_test_id("board-filters").get_by_role("button", name="Filter")).to_be_hidden()
    filters = laptop.get_by_test_id("board-filters").bounding_box()
    assert filters["height"] < 60, filters  # one line
    laptop.locator("#id_q").press_sequentially("Acme")
    expect(laptop).to_have_url(re.compile(r"q=Acme"))
    expect(card(laptop, deal)).to_be_visible()
    expect(column(laptop, stages[0]).locator("li.deal-card")).to_have_count(1)
    expect(column(laptop, stages[1]).locator("li.deal-card")).to_have_count(0)


def test_the_whole_card_drags_and_shows_keyboard_focus(laptop, live_server, login, cast):
    rep, stages, deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    laptop.locator("#id_q").fill("Acme")
    laptop.locator("#id_q").blur()
    expect(column(laptop, stages[1]).locator("li.deal-card")).to_have_count(0)
    laptop.wait_for_load_state("networkidle")
    title = card(laptop, deal).locator(".deal-title")
    title.focus()
    outline = card(laptop, deal).evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"
    # Dragged by its title (a link): the card moves.
    box = title.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    target = column(laptop, stages[1]).locator(".card-list").bounding_box()
    with laptop.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST") as answer:
        laptop.mouse.move(x, y)
        laptop.mouse.down()
        laptop.mouse.move(x + 5, y + 5, steps=2)
        laptop.mouse.move(target["x"] + target["width"] / 2, target["y"] + 20, steps=15)
        laptop.mouse.up()
    assert answer.value.status == 200
    expect(column(laptop, stages[1]).locator(f'[data-deal-id="{deal.pk}"]')).to_be_visible()
    assert Deal.objects.get(pk=deal.pk).stage_id == stages[1].pk


def test_add_a_deal_at_the_top_of_a_column_and_from_the_header(laptop, live_server, login, cast):
    rep, stages, _deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    third = column(laptop, stages[2])
    quick_add = third.locator(".quick-add")
    assert quick_add.bounding_box()["y"] < third.locator(".card-list").bounding_box()["y"]
    quick_add.locator("summary").click()
    third.get_by_label("Title").fill("Column deal")
    third.get_by_role("button", name="Add", exact=True).click()
    expect(third.get_by_role("link", name="Column deal", exact=True)).to_be_visible()
    assert Deal.objects.get(title="Column deal").stage_id == stages[2].pk

    laptop.get_by_test_id("new-deal").click()
    form = laptop.get_by_test_id("new-deal-form")
    form.get_by_label("Title").fill("Header deal")
    form.get_by_label("Stage").select_option(label=f"{stages[3].pipeline.name}: {stages[3].name}")
    form.get_by_role("button", name="Add deal").click()
    expect(laptop.get_by_role("heading", name="Header deal")).to_be_visible()
    assert Deal.objects.get(title="Header deal").stage_id == stages[3].pk


def test_won_asks_first(laptop, live_server, login, cast):
    rep, stages, deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    laptop.locator("#id_q").fill("Acme")
    expect(column(laptop, stages[1]).locator("li.deal-card")).to_have_count(0)
    questions = []

    laptop.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    card(laptop, deal).get_by_role("button", name="Won").click()
    laptop.wait_for_timeout(500)
    assert questions == ["Mark “Acme rollout” as won?"]
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN

    laptop.once("dialog", lambda d: d.accept())
    card(laptop, deal).get_by_role("button", name="Won").click()
    expect(card(laptop, deal)).to_have_count(0)
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON


def test_stage_descriptions_on_the_board_and_the_deal_page(laptop, live_server, login, cast):
    rep, stages, deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    about = column(laptop, stages[0]).get_by_test_id("stage-description")
    about.locator("summary").click()
    expect(about).to_contain_text("Find companies that need what we sell.")
    expect(column(laptop, stages[1]).get_by_test_id("stage-description")).to_have_count(0)
    laptop.goto(f"{live_server.url}/deals/{deal.pk}/")
    about = laptop.get_by_test_id("deal-stage-description")
    about.locator("summary").click()
    expect(about).to_contain_text("Find companies that need what we sell.")


def test_the_won_view_shows_no_weighted_values(laptop, live_server, login, cast):
    rep, stages, _deal = cast
    won = factories.DealFactory(owner=rep, stage=stages[2], title="Won deal")
    services.deal_win(deal_id=won.pk, version=won.version, actor=rep)
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/?status=won")
    expect(laptop.get_by_text("Won deal")).to_be_visible()
    expect(laptop.get_by_test_id("column-weighted")).to_have_count(0)
    laptop.goto(f"{live_server.url}/board/")
    expect(laptop.get_by_test_id("column-weighted").first).to_be_visible()


def test_the_phone_board_shows_one_stage_at_a_time(phone, live_server, login, cast):
    rep, stages, _deal = cast
    login(phone, rep)
    phone.goto(f"{live_server.url}/board/")
    assert_fits_the_phone(phone)
    first, second = column(phone, stages[0]), column(phone, stages[1])
    box = first.bounding_box()
    assert box["width"] > 300
    assert second.bounding_box()["x"] >= box["x"] + box["width"]  # the next stage waits beside this one
    expect(second.get_by_role("link", name="Second column deal", exact=True)).not_to_be_in_viewport()
    phone.get_by_test_id("stage-picker").select_option(str(stages[1].pk))
    expect(second.get_by_role("link", name="Second column deal", exact=True)).to_be_in_viewport()
    assert_fits_the_phone(phone)

    move = card(phone, Deal.objects.get(title="Second column deal")).get_by_role("link", name="Move to…")
    move.scroll_into_view_if_needed()
    box = move.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    move.click()
    dialog = phone.locator("#board-dialog")
    expect(dialog).to_be_visible()
    fits = dialog.bounding_box()
    assert fits["x"] >= 0 and fits["x"] + fits["width"] <= 390, fits
    assert_fits_the_phone(phone)


@pytest.mark.parametrize(
    "path",
    [
        "/deals/{deal}/",
        "/deals/",
        "/leads/",
        "/organizations/",
        "/contacts/",
        "/activities/",
        "/deals/new/",
        "/leads/new/",
        "/leads/{lead}/edit/",
    ],
)
def test_pages_fit_the_phone(phone, live_server, login, cast, path):
    rep, _stages, deal = cast
    lead = factories.LeadFactory(owner=rep, company_name="Phone GmbH")
    factories.ActivityFactory(deal=deal, assignee=rep, subject="Call about the rollout")
    login(phone, rep)
    response = phone.goto(live_server.url + path.format(deal=deal.pk, lead=lead.pk))
    assert response.status == 200
    assert_fits_the_phone(phone)


@pytest.mark.parametrize("path", ["/board/", "/deals/{deal}/", "/deals/", "/leads/"])
def test_pages_fit_the_laptop_width(laptop, live_server, login, cast, path):
    rep, _stages, deal = cast
    login(laptop, rep)
    laptop.goto(live_server.url + path.format(deal=deal.pk))
    laptop.wait_for_load_state("networkidle")
    assert laptop.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_boards_filters_are_saved_as_a_view_and_opened_again(laptop, live_server, login, cast):
    rep, stages, deal = cast
    login(laptop, rep)
    laptop.goto(f"{live_server.url}/board/")
    laptop.locator("#id_q").fill("Acme")
    expect(laptop).to_have_url(re.compile(r"q=Acme"))
    menu = laptop.get_by_test_id("board-saved-views")
    menu.locator("summary").click()
    menu.get_by_test_id("board-view-name").fill("Acme only")
    menu.get_by_role("button", name="Save current view").click()
    expect(laptop).to_have_url(re.compile(r"/board/\d+/\?.*q=Acme"))

    laptop.goto(f"{live_server.url}/board/")
    expect(column(laptop, stages[1]).locator("li.deal-card")).to_have_count(1)
    menu = laptop.get_by_test_id("board-saved-views")
    menu.locator("summary").click()
    menu.get_by_role("link", name="Acme only").click()
    expect(laptop).to_have_url(re.compile(r"q=Acme"))
    expect(column(laptop, stages[1]).locator("li.deal-card")).to_have_count(0)
    expect(card(laptop, deal)).to_be_visible()
