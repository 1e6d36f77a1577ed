"""The dashboard in real Chromium: a click on a chart bar and on a table cell opens the deals behind
the figure, whose total equals it; on a 390 × 844 phone and a 1366 × 768 laptop nothing is wider
than the viewport."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from analytics import services
from tests import factories
from tests.analytics.conftest import HistoryBuilder, noon_today
from tests.browser.layout import OVERFLOW

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def build(rep, teammate, stages):
    now = noon_today()
    history = HistoryBuilder(now)
    organization = factories.OrganizationFactory(name="Müller Maschinenbau GmbH & Co. KG Niederlassung Süd")
    close = now.date() + timedelta(days=20)
    history.deal(owner=rep, steps=[(20, stages[0]), (10, stages[1])], value="1000", expected_close_date=close)
    history.deal(owner=rep, steps=[(20, stages[0]), (12, stages[1])], value="4000", organization=organization)
    history.deal(owner=teammate, steps=[(20, stages[0])], value="2000", outcome=("won", 5))
    history.deal(owner=teammate, steps=[(20, stages[0])], value="3000", outcome=("lost", 5))
    lead = factories.LeadFactory(owner=rep, source="webinar", campaign="A very long campaign name for the spring fair")
    history.deal(owner=rep, steps=[(9, stages[0])], value="7000", source_lead=lead, outcome=("won", 2))
    factories.ActivityFactory(assignee=rep, kind="call", done_at=now - timedelta(days=1))
    services.snapshot_rollup_day(day=now.date())
    return now


def drill_total(page):
    return page.get_by_test_id("drill-count").inner_text(), page.get_by_test_id("drill-total").inner_text()


def test_a_click_on_a_bar_and_on_a_cell_lists_the_deals_behind_the_figure(
    page, live_server, login, rep, teammate, manager, stages
):
    cache.clear()
    build(rep, teammate, stages)
    login(page, manager)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{live_server.url}/dashboard/")
    canvas = page.locator('canvas[data-chart="chart-funnel"]')
    expect(canvas).to_have_attribute("data-drawn", "6")
    # The funnel's first bar: "Advanced" from Prospecting (the won deal and the two in First contact).
    advanced = page.get_by_test_id("table-funnel").locator("tbody tr").first.locator("td").nth(2)
    expect(advanced).to_have_text("4")
    point = page.evaluate(
        """() => {
          const canvas = document.querySelector('canvas[data-chart="chart-funnel"]');
          const bar = Chart.getChart(canvas).getDatasetMeta(0).data[0];
          const box = canvas.getBoundingClientRect();
          const center = bar.getCenterPoint();
          return {x: center.x, y: center.y, left: box.left, top: box.top};
        }"""
    )
    canvas.click(position={"x": point["x"], "y": point["y"]})
    expect(page).to_have_url(re.compile(r"/dashboard/deals/\?.*metric=funnel.*outcome=advanced"))
    count, _total = drill_total(page)
    assert count == "4"
    expect(page.get_by_test_id("drill-table").locator("tbody tr")).to_have_count(4)

    page.go_back()
    forecast_value = page.get_by_test_id("table-forecast").locator("tbody tr").first.locator("td").nth(2)
    figure = forecast_value.inner_text()
    forecast_value.locator("a").click()
    expect(page).to_have_url(re.compile(r"metric=forecast"))
    assert drill_total(page)[1] == figure
    page.get_by_test_id("drill-table").locator("tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/deals/\d+/"))
    assert errors == []


@pytest.mark.parametrize("size", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
@pytest.mark.parametrize(("locale", "win_rate"), [("en-GB", "66.7 %"), ("de-DE", "66,7 %")], ids=["en", "de"])
def test_the_dashboard_fits_the_viewport(
    browser, live_server, login, rep, teammate, manager, stages, size, locale, win_rate
):
    cache.clear()
    build(rep, teammate, stages)
    context = browser.new_context(locale=locale, viewport={"width": size[0], "height": size[1]})
    page = login(context.new_page(), manager)
    try:
        page.goto(f"{live_server.url}/dashboard/")
        expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")
        expect(page.get_by_test_id("kpi-win-rate")).to_have_text(win_rate)
        layout = page.evaluate(OVERFLOW)
        assert layout["wide"] == [], layout
        assert layout["scrollWidth"] <= layout["width"], layout

        page.get_by_test_id("kpi-open-count").locator("a").click()
        expect(page.get_by_test_id("drill-count")).to_have_text("2")
        layout = page.evaluate(OVERFLOW)
        assert layout["wide"] == [], layout
        assert layout["scrollWidth"] <= layout["width"], layout
    finally:
        context.close()
