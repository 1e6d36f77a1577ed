"""docs/metrics.md, "Outcomes" (win rate, deal size, sales cycle), "Close-date slippage" and
"Pipeline velocity", as the KPI tiles show them."""

from datetime import timedelta
from decimal import Decimal

from tests.analytics.dashboards import dashboard_for


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
