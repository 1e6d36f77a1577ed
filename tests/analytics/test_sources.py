"""docs/metrics.md, "Lead source performance" (per source and campaign) and "Lost reasons"
(deals lost in the period by reason and lost-from stage)."""

from decimal import Decimal

import pytest

from deals.models import Deal
from tests import factories
from tests.analytics.dashboards import dashboard_for, section


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


def test_lost_reasons_are_grouped_by_the_stage_lost_from(cohort, admin, stages):
    rows = section(dashboard_for(admin), "lost_reasons").rows
    assert rows == [
        ["Price too high", "Prospecting", "New business", 1, Decimal("1000.00")],
        ["Price too high", "First contact", "New business", 1, Decimal("1000.00")],
    ]
    assert Deal.objects.get(pk=cohort["lost_at_s1"].pk).lost_from_stage == stages[1]
