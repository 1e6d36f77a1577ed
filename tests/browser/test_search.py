"""The header's search box in real Chromium: "/" focuses it, typing shows the grouped results
(htmx, debounced), the arrow keys and Enter open one; Ctrl-K focuses it from anywhere and Escape
closes the results; "/" typed into another field stays in that field."""

import pytest
from playwright.sync_api import expect

from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def world(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    south = factories.TeamFactory(name="South")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    outsider = factories.UserFactory(username="charlie", team=south)
    organization = factories.OrganizationFactory(name="Müller Bau GmbH", owner=rep)
    deal = factories.DealFactory(owner=rep, title="Müller Bau Rollout", organization=organization)
    factories.ContactFactory(first_name="Jana", last_name="Müller", organization=organization)
    factories.DealFactory(owner=outsider, title="Müller Secret Deal", organization=None)
    return rep, deal


def test_slash_focuses_the_box_typing_shows_results_and_enter_opens_one(page, live_server, login, world):
    rep, deal = world
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    box = page.get_by_test_id("global-search")
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the "/" itself is not typed into the box

    page.keyboard.type("Mueller", delay=30)
    results = page.get_by_test_id("global-search-results")
    expect(results.locator("[data-search-group='deals']")).to_contain_text("Müller Bau Rollout")
    expect(results.locator("[data-search-group='organizations']")).to_contain_text("Müller Bau GmbH")
    expect(results.locator("[data-search-group='contacts']")).to_contain_text("Jana Müller")
    expect(results).not_to_contain_text("Secret")

    page.keyboard.press("ArrowDown")
    expect(results.locator("a.search-hit").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/deals/{deal.pk}/")
    assert not problems, problems


def test_ctrl_k_focuses_the_box_escape_closes_and_enter_opens_the_results_page(page, live_server, login, world):
    rep, _deal = world
    login(page, rep)
    page.goto(f"{live_server.url}/organizations/")
    list_filter = page.locator("form.filters input[name=q]")
    list_filter.click()
    page.keyboard.type("a/b")
    expect(list_filter).to_have_value("a/b")  # "/" in another field stays there
    page.keyboard.press("Control+k")
    box = page.get_by_test_id("global-search")
    expect(box).to_be_focused()
    page.keyboard.type("Muller", delay=30)
    results = page.get_by_test_id("global-search-results")
    expect(results.locator("a.search-hit").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(results).to_be_hidden()
    box.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/search/?q=Muller")
    expect(page.get_by_test_id("search-results")).to_contain_text("Müller Bau Rollout")
