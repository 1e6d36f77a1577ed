"""The conversion trend in real Chromium: a click on a point lists the deals that left the stage in
that week, the switch shows months and a filter change keeps it, and a phone shows it without
horizontal overflow."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from analytics.selectors import conversion_trend
from tests.analytics.conftest import HistoryBuilder, noon_today
from tests.browser.layout import OVERFLOW

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def build(rep, teammate, stages):
    """Last week: four deals left Prospecting, three of them forward."""
    history = HistoryBuilder(noon_today())
    monday = conversion_trend.period_of("week", timezone.localdate(history.now)).first_day
    d = (timezone.localdate(history.now) - (monday - timedelta(days=5))).days
    history.deal(owner=rep, steps=[(d + 1, stages[0]), (d, stages[1])])
    history.deal(owner=rep, steps=[(d + 1, stages[0]), (d, stages[2])])
    history.deal(owner=teammate, steps=[(d + 1, stages[0])], outcome=("won", d))
    history.deal(owner=teammate, steps=[(d + 1, stages[0])], outcome=("lost", d))


def test_a_point_lists_the_deals_that_left_and_the_switch_shows_months(
    page, live_server, login, rep, teammate, manager, stages
):
    cache.clear()
    build(rep, teammate, stages)
    login(page, manager)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/dashboard/")
    canvas = page.locator('canvas[data-chart="chart-conversion_trend"]')
    expect(canvas).to_have_attribute("data-drawn", "53")
    row = page.get_by_test_id("table-conversion_trend").locator("tbody tr").nth(51)
    expect(row.locator("td").nth(1)).to_have_text("4")
    expect(row.locator("td").nth(2)).to_have_text("75.0 %")
    canvas.scroll_into_view_if_needed()
    point = page.evaluate(
        """() => {
          const canvas = document.querySelector('canvas[data-chart="chart-conversion_trend"]');
          const chart = Chart.getChart(canvas);
          const p = chart.getDatasetMeta(0).data[51];
          return {x: p.x, y: p.y};
        }"""
    )
    canvas.click(position={"x": point["x"], "y": point["y"]})
    expect(page).to_have_url(re.compile(r"/dashboard/deals/\?.*metric=conversion.*exit_outcome=left"))
    expect(page.get_by_test_id("drill-count")).to_have_text("4")
    expect(page.get_by_test_id("drill-table").locator("tbody tr")).to_have_count(4)

    page.go_back()
    page.get_by_test_id("switch-trend-month").click()
    expect(page).to_have_url(re.compile(r"trend=month"))
    expect(page.locator('canvas[data-chart="chart-conversion_trend"]')).to_have_attribute("data-drawn", "13")
    page.locator('#dashboard-filters select[name="period"]').select_option("30")
    expect(page).to_have_url(re.compile(r"period=30.*trend=month|trend=month.*period=30"))
    expect(page.locator('canvas[data-chart="chart-conversion_trend"]')).to_have_attribute("data-drawn", "13")
    assert errors == []


def test_the_trend_fits_a_phone(browser, live_server, login, rep, teammate, manager, stages):
    cache.clear()
    build(rep, teammate, stages)
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    page = login(context.new_page(), manager)
    try:
        page.goto(f"{live_server.url}/dashboard/?trend=month")
        expect(page.locator('canvas[data-chart="chart-conversion_trend"]')).to_have_attribute("data-drawn", "13")
        layout = page.evaluate(OVERFLOW)
        assert layout["wide"] == [], layout
        assert layout["scrollWidth"] <= layout["width"], layout
    finally:
        context.close()
