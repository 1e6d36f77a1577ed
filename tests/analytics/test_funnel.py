"""docs/metrics.md, "Funnel (stage-to-stage conversion, by cohort)": the cohort C(s, P) of each
stage, counted once per deal, and its outcome from s (advanced, lost at s, still open).

Stages of the default pipeline: S0 Prospecting 10 %, S1 First contact 20 %, S2 Needs analysis
35 %, S3 Solution presentation 50 %, S4 Negotiation & proposal 70 %, S5 Closing 85 %.
Times are "days ago" at noon; the period is the last 90 days.
"""

import pytest

from analytics import filters
from analytics.selectors import funnel
from deals.models import Deal
from tests.analytics.dashboards import dashboard_for, section


def funnel_of(stages):
    period = filters.Period.last_days(90)
    return funnel.funnel_counts(deals=Deal.objects.all(), stages=stages, start=period.start, end=period.end)


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


def test_funnel_counts_a_deal_that_advanced_then_fell_back_and_was_lost(history, rep, stages):
    s0, s1, s2 = stages[:3]
    history.deal(owner=rep, steps=[(30, s0), (25, s1), (20, s2), (15, s1)], outcome=("lost", 10))
    counts = funnel_of(stages)
    # From S1 it advanced (reached S2 after its first entry), however it ended.
    assert counts[s1.pk] == (1, 1, 0)
    # From S2 it neither advanced nor was lost there (lost from S1): METRICS' third bucket.
    assert counts[s2.pk] == (1, 0, 0)
