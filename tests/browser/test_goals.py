"""Goals in the browser: the board's header shows the rep's goals without widening the page on a
1366 × 768 laptop or a 390 × 844 phone; the laptop's board still fits the window."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.goals import GoalPeriod
from analytics.models import Goal
from deals import defaults
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories
from tests.browser.layout import OVERFLOW

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def rep_with_goals(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    stages = factories.default_stages()
    for n in range(12):
        factories.DealFactory(owner=rep, stage=stages[n % 3], title=f"Deal with a rather long title {n:02d}")
    factories.DealFactory(owner=rep, status=Deal.Status.WON, won_at=timezone.now(), value=Decimal("6000"))
    month = GoalPeriod.current(Goal.Period.MONTH)
    quarter = GoalPeriod.current(Goal.Period.QUARTER)
    Goal.objects.create(
        user=rep, metric=Goal.Metric.WON_VALUE, period="month", period_start=month.first_day, target=8000
    )
    Goal.objects.create(
        user=rep, metric=Goal.Metric.ACTIVITIES, period="month", period_start=month.first_day, target=40
    )
    Goal.objects.create(
        user=rep, metric=Goal.Metric.NEW_DEALS, period="quarter", period_start=quarter.first_day, target=30
    )
    return rep


def assert_no_overflow(page):
    page.wait_for_load_state("networkidle")
    found = page.evaluate(OVERFLOW)
    assert found["wide"] == [], found
    assert found["scrollWidth"] <= found["width"], found


def test_the_laptop_board_shows_the_goals_in_its_header_and_still_fits(page, live_server, login, rep_with_goals):
    page.set_viewport_size(LAPTOP)
    login(page, rep_with_goals)
    page.goto(f"{live_server.url}/board/")
    indicator = page.get_by_test_id("goals-indicator")
    expect(indicator.locator("a")).to_have_count(2)  # the month's; the quarter's are on the goals page
    expect(indicator).to_contain_text("75 %")  # 6,000 of 8,000
    assert_no_overflow(page)
    sizes = page.evaluate(
        """() => ({height: window.innerHeight, page: document.documentElement.scrollHeight,
                  bottoms: [...document.querySelectorAll('.board-column')].map(c => c.getBoundingClientRect().bottom)})"""
    )
    assert max(sizes["bottoms"]) <= sizes["height"], sizes
    assert sizes["page"] <= sizes["height"], sizes


def test_the_phone_board_shows_the_goals_without_overflow(browser, live_server, login, rep_with_goals):
    context = browser.new_context(viewport=PHONE, locale="en-GB", has_touch=True, is_mobile=True)
    page = context.new_page()
    try:
        login(page, rep_with_goals)
        page.goto(f"{live_server.url}/board/")
        expect(page.get_by_test_id("goals-indicator").locator("a")).to_have_count(2)
        assert_no_overflow(page)
        page.get_by_test_id("goals-indicator").locator("a").first.click()
        expect(page).to_have_url(f"{live_server.url}/goals/")
        expect(page.get_by_test_id("goal-period").first).to_be_visible()
        assert_no_overflow(page)
    finally:
        context.close()
