"""docs/metrics.md, "Conversion trend": of the deals that left a stage in a week or month, the share
that moved on (to a later stage of the pipeline, or won) when they left; each point and cell opens
the deals it counts."""

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from analytics import filters
from analytics.selectors import conversion_trend, dashboard
from tests.analytics.dashboards import section


def trend_for(user, now, grain="week", **params):
    query = QueryDict(mutable=True)
    query.update(params)
    filterset = filters.DashboardFilter(query, user=user)
    assert filterset.is_valid(), filterset.errors
    return section(dashboard.dashboard(user=user, filterset=filterset, now=now, trend_grain=grain), "conversion_trend")


def days_ago_of(now, day):
    return (timezone.localdate(now) - day).days


@pytest.fixture
def last_week(now):
    """The Wednesday of last week (days ago), and the week's row index in the trend (the last row is this week)."""
    this_monday = conversion_trend.period_of("week", timezone.localdate(now)).first_day
    return days_ago_of(now, this_monday - timedelta(days=5))


@pytest.fixture
def exits(history, rep, teammate, outsider, stages, last_week):
    s0, s1, s2 = stages[:3]
    d = last_week
    history.deal(owner=rep, steps=[(d + 1, s0), (d, s1)])  # left S0 forward
    history.deal(owner=rep, steps=[(d + 1, s0), (d, s2)])  # skipped S1: forward from S0
    history.deal(owner=teammate, steps=[(d + 1, s0)], outcome=("won", d))  # won from S0: moved on
    history.deal(owner=rep, steps=[(d + 1, s0)], outcome=("lost", d))  # lost in S0
    # S0 → S1 → back to S0 in the same week: left S0 forward, left S1 backwards.
    history.deal(owner=teammate, steps=[(d + 1, s0), (d, s1), (d - 1, s0)])
    history.deal(owner=rep, steps=[(d + 1, s0)])  # still in S0: no exit
    history.deal(owner=outsider, steps=[(d + 1, s0), (d, s1)])  # another team's
    history.deal(owner=rep, steps=[(d + 10, s0), (d + 8, s1)])  # left a week earlier


def test_conversion_of_a_week_counts_the_deals_that_left_and_those_that_moved_on(exits, manager, now, stages):
    trend = trend_for(manager, now)
    assert trend.columns[1].label == "Prospecting: left" and trend.columns[2].label == "Prospecting: conversion"
    last_week, earlier = trend.rows[-2], trend.rows[-3]
    # S0: 5 left (forward, skipped, won, lost, moved on then back), 4 moved on; the outsider's is not counted.
    assert last_week[1:3] == [5, 4 / 5]
    # S1: the deal moved back left it, without moving on.
    assert last_week[3:5] == [1, 0.0]
    assert earlier[1:3] == [1, 1.0]
    assert trend.rows[-1][1] == 0 and trend.rows[-1][2] is None  # this week: nobody left yet


def test_a_rep_sees_the_conversion_of_their_own_deals(exits, rep, now):
    assert trend_for(rep, now).rows[-2][1:3] == [3, 2 / 3]


def test_months_group_the_same_exits_by_calendar_month(exits, admin, now, last_week, history):
    trend = trend_for(admin, now, grain="month")
    assert len(trend.rows) == 13
    month = conversion_trend.period_of("month", history.at(last_week).date())
    row = next(r for r in trend.rows if r[0] == conversion_trend.period_label("month", month))
    # 6 deals left S0 that week (the outsider's too); one more left a week earlier, possibly that month.
    earlier = history.at(last_week + 8).date()
    expected = (7, 6) if conversion_trend.period_of("month", earlier) == month else (6, 5)
    assert row[1:3] == [expected[0], expected[1] / expected[0]]


def test_the_chart_shows_one_line_per_stage_in_percent(exits, manager, now, stages):
    trend = trend_for(manager, now)
    chart = trend.chart
    assert chart["type"] == "line" and [d["label"] for d in chart["datasets"]] == [s.name for s in stages]
    assert chart["datasets"][0]["data"][-2] == 80.0
    assert len(chart["labels"]) == len(trend.rows) == 53


def test_every_point_and_cell_lists_the_deals_it_counts(exits, client, manager, now):
    client.force_login(manager)
    trend = trend_for(manager, now)
    assert trend.cell_links
    for (row, column), url in trend.cell_links.items():
        response = client.get(url)
        assert response.status_code == 200
        count = response.context["result"].count
        if column % 2:  # "left" cells
            assert count == trend.rows[row][column]
        else:  # conversion cells list those that moved on
            assert count == round(trend.rows[row][column] * trend.rows[row][column - 1])
    point = trend.chart_links[0][-2]
    assert point == trend.cell_links[(len(trend.rows) - 2, 1)]


def test_a_drill_down_into_a_day_that_starts_no_week_answers_400(exits, client, manager, stages, now):
    client.force_login(manager)
    monday = conversion_trend.period_of("week", timezone.localdate(now)).first_day
    params = {"metric": "conversion", "in_stage": stages[0].pk, "grain": "week", "exit_outcome": "left"}
    url = reverse("analytics:drilldown")
    assert client.get(url, {**params, "period_start": (monday + timedelta(days=1)).isoformat()}).status_code == 400
    assert client.get(url, {**params, "period_start": monday.isoformat()}).status_code == 200


def test_the_switch_shows_months_and_a_filter_change_keeps_the_choice(exits, client, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:dashboard"), {"trend": "month"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="trend" value="month" form="dashboard-filters"' in html
    assert 'data-testid="switch-trend-month"' in html
    assert client.get(reverse("analytics:dashboard"), {"trend": "nonsense"}).status_code == 200


@pytest.mark.parametrize("deals", [4, 40])
def test_the_trend_is_one_grouped_query_whatever_the_number_of_deals(
    deals, history, rep, stages, now, django_assert_num_queries
):
    for n in range(deals):
        history.deal(owner=rep, steps=[(3 + n % 300, stages[0]), (1 + n % 300, stages[1])])
    periods = conversion_trend.last_year("week", timezone.localdate(now))
    conversion_trend.conversion_counts(deals=None, stages=stages, periods=periods)  # syncs the visits
    with django_assert_num_queries(1):  # the grouped exits per period and stage
        counts = conversion_trend.conversion_counts(deals=None, stages=stages, periods=periods, sync=False)
    assert sum(left for left, _moved in counts.values()) == deals


def test_a_week_runs_from_monday_midnight_to_monday_midnight_in_local_time(history, rep, manager, now, stages):
    s0, s1 = stages[:2]
    monday = conversion_trend.period_of("week", timezone.localdate(now)).first_day

    def days_ago(day, at):
        return (now - timezone.make_aware(datetime.combine(day, at))) / timedelta(days=1)

    late_sunday = days_ago(monday - timedelta(days=1), time(23, 30))
    just_after_midnight = days_ago(monday, time(0, 30))
    history.deal(owner=rep, steps=[(late_sunday + 1, s0), (late_sunday, s1)])
    history.deal(owner=rep, steps=[(just_after_midnight + 1, s0), (just_after_midnight, s1)])
    trend = trend_for(manager, now)
    assert [trend.rows[-2][1], trend.rows[-1][1]] == [1, 1]  # last week's Sunday night, this week's Monday


@pytest.mark.parametrize("offset", range(7))
def test_the_trend_has_53_weeks_and_13_months_whatever_the_weekday(offset):
    today = date(2026, 12, 7) + timedelta(days=offset)  # a Monday: a year ago was a Sunday
    weeks = conversion_trend.last_year("week", today)
    months = conversion_trend.last_year("month", today)
    assert (len(weeks), len(months)) == (53, 13)
    assert weeks[-1] == conversion_trend.period_of("week", today)
    assert months[-1] == conversion_trend.period_of("month", today)
    assert all(a.after_day == b.first_day for a, b in itertools.pairwise(weeks))
