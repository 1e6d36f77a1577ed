"""docs/metrics.md, "Forecast": the weighted forecast over open deals only, the observed
probability of a stage (ten closed deals at least) and the observed forecast built on it.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.selectors import forecast
from deals.models import Deal
from tests.analytics.dashboards import dashboard_for, section


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
    observed = forecast.observed_probabilities(deals=Deal.objects.all(), now=timezone.now())
    assert observed[stages[3].pk] == (7, 3)
    assert forecast.observed_probability(observed[stages[3].pk]) == pytest.approx(70)
    # S4: only the old deal, and it left S4 400 days ago.
    assert stages[4].pk not in observed


def test_observed_probability_needs_ten_closed_deals():
    assert forecast.observed_probability((6, 3)) is None
    assert forecast.observed_probability((6, 4)) == pytest.approx(60)


def test_observed_forecast_uses_the_stage_record(stage_s3_record, history, rep, admin, stages):
    close = next_month_day(history)
    history.deal(owner=rep, steps=[(5, stages[3])], value="10000", expected_close_date=close)
    data = dashboard_for(admin)
    month = section(data, "forecast").rows[-1]
    assert month[1:] == [1, Decimal("10000.00"), Decimal("5000.00"), Decimal("7000.00")]
    calibration = {row[0]: row for row in section(data, "calibration").rows}
    assert calibration["Solution presentation"][1:] == [0.5, pytest.approx(0.7), 7, 3]
    assert str(calibration["Negotiation & proposal"][2]) == "not enough data"
