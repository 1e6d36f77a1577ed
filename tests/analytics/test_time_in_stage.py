"""docs/metrics.md, "Time in stage": completed visits that ended in the period (median and
75th percentile), and the open deals' age in each stage (the bottleneck rules: test_bottlenecks.py)."""

from datetime import timedelta

from django.core.cache import cache

from analytics import filters
from analytics.selectors import dashboard
from tests.analytics.dashboards import dashboard_for, section


def test_time_in_stage_uses_completed_visits_ending_in_the_period(history, rep, admin, stages):
    history.deal(owner=rep, steps=[(30, stages[0]), (26, stages[1])])  # 4 days in S0
    history.deal(owner=rep, steps=[(30, stages[0]), (20, stages[1])])  # 10 days
    history.deal(owner=rep, steps=[(30, stages[0]), (14, stages[1])])  # 16 days
    history.deal(owner=rep, steps=[(300, stages[0]), (200, stages[1])])  # ended before the period
    rows = section(dashboard_for(admin, now=history.now), "time_in_stage").rows
    # 3 visits in 90 days = 0.2 a week; durations 4, 10, 16 days.
    assert rows[0][:5] == ["Prospecting", 3, 0.2, 10.0, 13.0]
    assert rows[1][5:7] == [4, 23.0]  # open now in S1, median age of 14, 20, 26, 200 days


def test_cached_dashboard_states_the_open_deals_age_as_of_the_request(history, now, admin, stages):
    """The sections come from the cache while nothing changes; the median age still grows with time."""
    for days_ago in (3, 5, 10):
        history.deal(owner=admin, steps=[(days_ago, stages[1])])

    def ages(at, cached=True):
        if not cached:
            cache.clear()
        filterset = filters.DashboardFilter({}, user=admin)
        assert filterset.is_valid()
        data = dashboard.dashboard(user=admin, filterset=filterset, now=at)
        table = next(s for s in data["sections"] if s.name == "time_in_stage")
        return [row[5:7] for row in table.rows]

    assert ages(now)[1] == [3, 5.0]
    later = now + timedelta(hours=4.8)  # the same day: the cached sections are used
    assert ages(later) == ages(later, cached=False)
    assert ages(later)[1] == [3, 5.2]
