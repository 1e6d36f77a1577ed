"""The manager's dashboard in real Chromium: charts drawn, a filter change updates charts and
tables through htmx, and a chart's CSV downloads."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from analytics import services
from tests.analytics.conftest import HistoryBuilder, noon_today

# serialized_rollback: the default pipelines come from a data migration; restore them after the
# flush so that a later session on a reused PostgreSQL test database still has them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_manager_filters_the_dashboard_and_downloads_a_csv(page, live_server, login, rep, teammate, manager, stages):
    cache.clear()  # cached observed probabilities of an earlier test's data must not show
    now = noon_today()
    history = HistoryBuilder(now)
    history.deal(owner=rep, steps=[(20, stages[0]), (10, stages[1])], value="1000")
    history.deal(owner=teammate, steps=[(20, stages[0])], value="2000", outcome=("won", 5))
    history.deal(owner=teammate, steps=[(20, stages[0])], value="3000", outcome=("lost", 5))
    services.snapshot_rollup_day(day=now.date())
    login(page, manager)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # JavaScript exceptions
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)

    page.goto(f"{live_server.url}/dashboard/")
    funnel = page.get_by_test_id("table-funnel")
    expect(funnel.locator("tbody tr").first).to_contain_text("Prospecting")
    expect(funnel.locator("tbody tr").first.locator("td").nth(1)).to_have_text("3")
    expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")
    expect(page.locator('canvas[data-chart="chart-trend"]')).to_have_attribute("data-drawn", "1")

    page.get_by_label("Owner").select_option(label="Bob Brown")
    expect(page).to_have_url(re.compile(rf"owner={teammate.pk}"))
    expect(funnel.locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")
    expect(page.get_by_test_id("kpi-win-rate")).to_have_text("50.0 %")
    expect(page.locator('canvas[data-chart="chart-funnel"]')).to_have_attribute("data-drawn", "6")
    lost = page.get_by_test_id("table-lost_reasons")
    expect(lost.locator("tbody tr")).to_have_count(1)
    expect(lost).to_contain_text("Price too high")

    first, last = (now.date() - timedelta(days=400)).isoformat(), (now.date() - timedelta(days=300)).isoformat()
    page.get_by_label("From", exact=True).fill(first)
    page.get_by_label("To", exact=True).fill(last)
    expect(page).to_have_url(re.compile(rf"start={first}&end={last}"))
    expect(funnel.locator("tbody tr").first.locator("td").nth(1)).to_have_text("0")
    page.get_by_label("Period").select_option("90")  # a preset drops the custom range
    expect(page).to_have_url(re.compile(r"start=&end="))
    expect(funnel.locator("tbody tr").first.locator("td").nth(1)).to_have_text("2")

    with page.expect_download() as download_info:
        page.get_by_test_id("csv-funnel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("funnel-")
    content = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert content[0].startswith("Stage,Entered,Advanced,Lost here")
    assert content[1].startswith("Prospecting,2,1,1,0")
    assert errors == []
