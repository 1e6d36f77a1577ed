"""Every number on a small hand-built history, with the expected value written out.

Stages of the default pipeline: S0 Prospecting 10 %, S1 First contact 20 %, S2 Needs analysis
35 %, S3 Solution presentation 50 %, S4 Negotiation & proposal 70 %, S5 Closing 85 %.
Times are "days ago" at noon; the period is the last 90 days.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone

from analytics import filters, selectors
from deals.models import Deal
from tests import factories


def dashboard_for(user, now=None, **params):
    query = QueryDict(mutable=True)
    query.update(params)
    filterset = filters.DashboardFilter(query, user=user)
    assert filterset.is_valid(), filterset.errors
    return selectors.dashboard(user=user, filterset=filterset, now=now)


def section(data, name):
    return next(s for s in data["sections"] if s.name == name)


def funnel_of(stages):
    period = filters.Period.last_days(90)
    return selectors.funnel_counts(deals=Deal.objects.all(), stages=stages, start=period.start, end=period.end)


@pytest.fixture
def cohort(history, rep, stages):
    s0, s1, s2 = stages[:3]
    return {
        # Re-enters S1 (S0 → S1 → S0 → S1 → S2): one member of C(S1), advanced.
        "reentered": history.deal(owner=rep, steps=[(30, s0), (25, s1), (20, s0), (15, s1), (10, s2)]),
        "lost_at_s1": history.deal(owner=rep, steps=[(30, s0), (20, s1)], outcome=("lost", 5)),
        "won_from_s1": history.deal(owner=rep, steps=[(30, s0), (20, s1)], outcome=("won", 5)),
        "open_at_s0": history.deal(owner=rep, steps=[(30, s0)]),
        "lost_at_s0": history.deal(owner=rep, steps=[(30, s0)], outcome=("lost", 10)),
        # Entered S0 and S1 before the period: only in C(S2).
        "old": history.deal(owner=rep, steps=[(200, s0), (100, s1), (50, s2)]),
    }


def test_funnel_counts_a_reentered_stage_once(cohort, stages):
    counts = funnel_of(stages)
    # C(S1) = reentered, lost_at_s1, won_from_s1 → 3; advanced: reentered (S2) and won_from_s1 (won).
    assert counts[stages[1].pk] == (3, 2, 1)


def test_funnel_judges_each_stage_cohort(cohort, stages):
    counts = funnel_of(stages)
    # C(S0): five deals entered in the period; 3 advanced, lost_at_s0 lost there, open_at_s0 still open.
    assert counts[stages[0].pk] == (5, 3, 1)
    # C(S2): reentered and old, both still open there.
    assert counts[stages[2].pk] == (2, 0, 0)
    assert stages[3].pk not in counts


def test_funnel_section_shows_rates_with_lost_deals_in_the_denominator(cohort, admin):
    rows = section(dashboard_for(admin), "funnel").rows
    assert rows[0][:5] == ["Prospecting", 5, 3, 1, 1]
    assert rows[0][5:] == [pytest.approx(0.6), pytest.approx(0.2), pytest.approx(0.2)]
    assert rows[1][5:] == [pytest.approx(2 / 3), pytest.approx(1 / 3), pytest.approx(0)]


def test_lost_reasons_are_grouped_by_the_stage_lost_from(cohort, admin, stages):
    rows = section(dashboard_for(admin), "lost_reasons").rows
    assert rows == [
        ["Price too high", "Prospecting", "New business", 1, Decimal("1000.00")],
        ["Price too high", "First contact", "New business", 1, Decimal("1000.00")],
    ]
    assert Deal.objects.get(pk=cohort["lost_at_s1"].pk).lost_from_stage == stages[1]


def next_month_day(history):
    today = history.now.date()
    return (today.replace(day=1) + timedelta(days=40)).replace(day=10)


def test_forecast_counts_open_deals_only(history, rep, admin, stages):
    close = next_month_day(history)
    history.deal(owner=rep, steps=[(10, stages[2])], value="10000", expected_close_date=close)  # 35 % → 3,500
    history.deal(owner=rep, steps=[(10, stages[0])], value="20000", expected_close_date=close, probability=60)
    history.deal(owner=rep, steps=[(10, stages[4])], value="50000", expected_close_date=close, outcome=("won", 2))
    history.deal(owner=rep, steps=[(10, stages[4])], value="40000", expected_close_date=close, outcome=("lost", 2))
    yesterday = history.now.date() - timedelta(days=1)
    history.deal(owner=rep, steps=[(10, stages[1])], value="5000", expected_close_date=yesterday)  # 20 % → 1,000
    data = dashboard_for(admin)
    rows = section(data, "forecast").rows
    # Fewer than 10 closed deals anywhere: the observed forecast falls back to each stage's configured
    # probability (10,000 × 35 % + 20,000 × 10 %); the weighted one honours the 60 % override.
    assert rows[0] == ["Overdue", 1, Decimal("5000.00"), Decimal("1000.00"), Decimal("1000.00")]
    assert rows[1][1:] == [2, Decimal("30000.00"), Decimal("15500.00"), Decimal("5500.00")]
    assert len(rows) == 2
    assert data["kpis"]["open_count"] == 3
    assert data["kpis"]["weighted"] == Decimal("16500.00")


@pytest.fixture
def stage_s3_record(history, rep, stages):
    """Ten deals that were in S3 within the last 12 months and are closed: 7 won, 3 lost;
    one won deal whose S3 visit ended 400 days ago does not count."""
    s0, s3, s4 = stages[0], stages[3], stages[4]
    for _ in range(7):
        history.deal(owner=rep, steps=[(100, s0), (60, s3)], outcome=("won", 30))
    for _ in range(3):
        history.deal(owner=rep, steps=[(100, s0), (60, s3)], outcome=("lost", 30))
    history.deal(owner=rep, steps=[(430, s0), (420, s3), (400, s4)], outcome=("won", 390))


def test_observed_probability_of_a_stage(stage_s3_record, admin, stages):
    observed = selectors.observed_probabilities(deals=Deal.objects.all(), now=timezone.now())
    assert observed[stages[3].pk] == (7, 3)
    assert selectors.observed_probability(observed[stages[3].pk]) == pytest.approx(70)
    # S4: only the old deal, and it left S4 400 days ago.
    assert stages[4].pk not in observed


def test_observed_probability_needs_ten_closed_deals():
    assert selectors.observed_probability((6, 3)) is None
    assert selectors.observed_probability((6, 4)) == pytest.approx(60)


def test_observed_forecast_uses_the_stage_record(stage_s3_record, history, rep, admin, stages):
    close = next_month_day(history)
    history.deal(owner=rep, steps=[(5, stages[3])], value="10000", expected_close_date=close)
    data = dashboard_for(admin)
    month = section(data, "forecast").rows[-1]
    assert month[1:] == [1, Decimal("10000.00"), Decimal("5000.00"), Decimal("7000.00")]
    calibration = {row[0]: row for row in section(data, "calibration").rows}
    assert calibration["Solution presentation"][1:] == [0.5, pytest.approx(0.7), 7, 3]
    assert str(calibration["Negotiation & proposal"][2]) == "not enough data"


def test_slippage_counts_closed_deals_whose_date_moved_later(history, rep, admin, stages):
    base = history.now.date()
    later_twice = history.deal(owner=rep, steps=[(40, stages[0])], outcome=("won", 5))
    history.slip(later_twice, days_ago=30, old=base, new=base + timedelta(days=10))
    history.slip(later_twice, days_ago=20, old=base + timedelta(days=10), new=base + timedelta(days=15))
    earlier = history.deal(owner=rep, steps=[(40, stages[0])], outcome=("lost", 5))
    history.slip(earlier, days_ago=30, old=base, new=base - timedelta(days=5))
    later_once = history.deal(owner=rep, steps=[(40, stages[0])], outcome=("won", 5))
    history.slip(later_once, days_ago=30, old=base, new=base + timedelta(days=20))
    history.deal(owner=rep, steps=[(40, stages[0])], outcome=("won", 5))
    still_open = history.deal(owner=rep, steps=[(40, stages[0])])
    history.slip(still_open, days_ago=30, old=base, new=base + timedelta(days=90))
    slippage = dashboard_for(admin)["kpis"]["slippage"]
    assert slippage == {"closed": 4, "slipped": 2, "share": 0.5, "median_days": 17.5}


def test_velocity_is_open_deals_times_win_rate_times_size_over_cycle(history, rep, admin, stages):
    for _ in range(3):
        history.deal(owner=rep, steps=[(10, stages[1])])
    history.deal(owner=rep, steps=[(25, stages[0])], value="10000", outcome=("won", 5))  # cycle 20 days
    history.deal(owner=rep, steps=[(45, stages[0])], value="30000", outcome=("won", 5))  # cycle 40 days
    history.deal(owner=rep, steps=[(45, stages[0])], outcome=("lost", 5))
    history.deal(owner=rep, steps=[(45, stages[0])], outcome=("lost", 5))
    kpis = dashboard_for(admin)["kpis"]
    outcomes = kpis["outcomes"]
    assert (outcomes.won, outcomes.lost, outcomes.win_rate) == (2, 2, 0.5)
    assert (outcomes.average_size, outcomes.median_size) == (Decimal("20000.00"), Decimal("20000.00"))
    assert outcomes.cycle_median_days == 30.0
    assert outcomes.cycle_p75_days == 35.0
    # 3 open × 0.5 × 20,000 ÷ 30 days
    assert kpis["velocity"] == Decimal("1000.00")


def test_time_in_stage_uses_completed_visits_ending_in_the_period(history, rep, admin, stages):
    history.deal(owner=rep, steps=[(30, stages[0]), (26, stages[1])])  # 4 days in S0
    history.deal(owner=rep, steps=[(30, stages[0]), (20, stages[1])])  # 10 days
    history.deal(owner=rep, steps=[(30, stages[0]), (14, stages[1])])  # 16 days
    history.deal(owner=rep, steps=[(300, stages[0]), (200, stages[1])])  # ended before the period
    rows = section(dashboard_for(admin, now=history.now), "time_in_stage").rows
    # 3 visits in 90 days = 0.2 a week; durations 4, 10, 16 days.
    assert rows[0][:5] == ["Prospecting", 3, 0.2, 10.0, 13.0]
    assert rows[1][5:7] == [4, 23.0]  # open now in S1, median age of 14, 20, 26, 200 days


def test_lead_source_performance_per_source_and_campaign(history, rep, admin, stages):
    def lead(status, campaign, reached_qualified):
        converted_at = history.now if status == "converted" else None
        item = factories.LeadFactory(
            owner=rep, source="webinar", campaign=campaign, status=status, converted_at=converted_at
        )
        if reached_qualified:
            item.status_changes.create(to_status="qualified", from_status="contacted", at=history.now)
        return item

    lead("new", "Forecasting", False)
    lead("qualified", "Forecasting", True)
    won_lead = lead("converted", "Forecasting", True)
    lost_lead = lead("converted", "Forecasting", True)
    history.deal(owner=rep, steps=[(5, stages[0])], value="8000", source_lead=won_lead, outcome=("won", 1))
    history.deal(owner=rep, steps=[(5, stages[0])], source_lead=lost_lead, outcome=("lost", 1))
    factories.LeadFactory(owner=rep, source="blog", campaign="Pipeline phases")
    rows = section(dashboard_for(admin), "lead_sources").rows
    assert rows[0] == ["Blog post", "Pipeline phases", 1, 0, 0.0, 0, None, 0, None, Decimal("0.00")]
    assert rows[1] == ["Webinar", "Forecasting", 4, 3, 0.75, 2, pytest.approx(2 / 3), 1, 0.5, Decimal("8000.00")]


def test_activities_per_rep_and_kind(history, rep, teammate, manager, stages):
    deal = history.deal(owner=rep, steps=[(5, stages[0])])
    factories.ActivityFactory(deal=deal, assignee=rep, kind="call", done_at=history.now - timedelta(days=1))
    factories.ActivityFactory(deal=deal, assignee=rep, kind="call", done_at=history.now - timedelta(days=2))
    factories.ActivityFactory(deal=deal, assignee=teammate, kind="meeting", done_at=history.now - timedelta(days=2))
    factories.ActivityFactory(deal=deal, assignee=rep, kind="email")  # not done
    rows = section(dashboard_for(manager), "activities").rows
    assert rows == [["Alice Adams", 2, 0, 0, 0, 0, 2], ["Bob Brown", 0, 0, 1, 0, 0, 1]]


def test_funnel_counts_a_deal_that_advanced_then_fell_back_and_was_lost(history, rep, stages):
    s0, s1, s2 = stages[:3]
    history.deal(owner=rep, steps=[(30, s0), (25, s1), (20, s2), (15, s1)], outcome=("lost", 10))
    counts = funnel_of(stages)
    # From S1 it advanced (reached S2 after its first entry), however it ended.
    assert counts[s1.pk] == (1, 1, 0)
    # From S2 it neither advanced nor was lost there (lost from S1): METRICS' third bucket.
    assert counts[s2.pk] == (1, 0, 0)


def test_cached_dashboard_states_the_open_deals_age_as_of_the_request(history, now, admin, stages):
    """The sections come from the cache while nothing changes; the median age still grows with time."""
    for days_ago in (3, 5, 10):
        history.deal(owner=admin, steps=[(days_ago, stages[1])])

    def ages(at, cached=True):
        if not cached:
            cache.clear()
        filterset = filters.DashboardFilter({}, user=admin)
        assert filterset.is_valid()
        data = selectors.dashboard(user=admin, filterset=filterset, now=at)
        table = next(s for s in data["sections"] if s.name == "time_in_stage")
        return [row[5:7] for row in table.rows]

    assert ages(now)[1] == [3, 5.0]
    later = now + timedelta(hours=4.8)  # the same day: the cached sections are used
    assert ages(later) == ages(later, cached=False)
    assert ages(later)[1] == [3, 5.2]
