"""Lead source and campaign cost, cost per lead, cost per won deal and ROI: every number written."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import roi
from analytics.filters import Criteria, Period
from analytics.selectors import sources
from deals.models import Deal
from leads.models import Campaign, Lead, SourceCost
from tests import factories

pytestmark = pytest.mark.django_db

# 16 March to 15 April: 16 of March's 31 days, 15 of April's 30.
PERIOD = Period(first_day=date(2026, 3, 16), last_day=date(2026, 4, 15))
IN_PERIOD = timezone.make_aware(datetime.combine(date(2026, 3, 20), time(12)))


def _lead(owner, source, campaign="", won_value=None):
    lead = factories.LeadFactory(owner=owner, source=source, campaign=campaign, created_at=IN_PERIOD)
    if won_value is not None:
        Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.CONVERTED, converted_at=IN_PERIOD)
        factories.DealFactory(
            owner=owner, source_lead=lead, status=Deal.Status.WON, won_at=IN_PERIOD, value=Decimal(won_value)
        )
    return lead


@pytest.fixture
def costs(db):
    SourceCost.objects.create(source="trade_fair", month=date(2026, 3, 1), cost=Decimal("3100"))  # 16/31 → 1,600
    SourceCost.objects.create(source="trade_fair", month=date(2026, 4, 1), cost=Decimal("3000"))  # 15/30 → 1,500
    SourceCost.objects.create(source="trade_fair", month=date(2026, 2, 1), cost=Decimal("9999"))  # outside
    SourceCost.objects.create(source="web_form", month=date(2026, 5, 1), cost=Decimal("9999"))  # outside
    Campaign.objects.create(
        source="trade_fair", name="Hannover Messe", cost=Decimal("2000"),
        starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 10),
    )  # fmt: skip  # all 10 days inside → 2,000
    Campaign.objects.create(
        source="web_form", name="Spring ads", cost=Decimal("900"), starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 30)
    )  # 15 of 30 days inside → 450
    Campaign.objects.create(source="referral", name="Partner", cost=Decimal("300"))  # no dates: in full
    Campaign.objects.create(
        source="social", name="Old", cost=Decimal("500"), starts_on=date(2025, 1, 1), ends_on=date(2025, 2, 1)
    )  # before the period: not shown


@pytest.fixture
def leads(rep, pipeline):
    _lead(rep, "trade_fair", "hannover messe", won_value="10000")
    _lead(rep, "trade_fair", "HANNOVER MESSE")
    _lead(rep, "trade_fair", won_value="2000")
    _lead(rep, "trade_fair")
    _lead(rep, "web_form", "Spring ads")
    _lead(rep, "web_form")
    _lead(rep, "web_form")
    lead = _lead(rep, "web_form", won_value="777")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.make_aware(datetime(2026, 3, 10, 12)))  # before P


def _section(user, **criteria):
    criteria = Criteria(period=PERIOD, **criteria)
    return roi.roi_section(user=user, criteria=criteria, lead_q=sources.lead_q(user=user, criteria=criteria))


def test_proration_of_months_and_campaigns():
    month = SourceCost(source="web_form", month=date(2026, 3, 1), cost=Decimal("3100"))
    assert roi.month_cost(month, PERIOD) == Decimal("1600")
    one_day = Campaign(source="web_form", name="x", cost=Decimal("50"), starts_on=date(2026, 4, 15))
    assert roi.campaign_cost(one_day, PERIOD) == Decimal("50")
    one_day.starts_on = date(2026, 4, 16)
    assert roi.campaign_cost(one_day, PERIOD) == 0
    undated = Campaign(source="web_form", name="y", cost=Decimal("70"))
    assert roi.campaign_cost(undated, PERIOD) == Decimal("70")


def test_cost_per_lead_per_won_deal_and_roi_per_source_and_campaign(costs, leads, admin):
    section = _section(admin)
    rows = {(row[0], row[1]): row[2:] for row in section.rows}
    #                                 leads won value              cost               per lead          per won           ROI
    assert rows["Trade fair", "all"] == [4, 2, Decimal("12000.00"), Decimal("5100.00"), Decimal("1275.00"),
                                         Decimal("2550.00"), Decimal(6900) / Decimal(5100)]  # fmt: skip
    assert rows["Trade fair", "Hannover Messe"] == [2, 1, Decimal("10000.00"), Decimal("2000.00"),
                                                    Decimal("1000.00"), Decimal("2000.00"), Decimal(4)]  # fmt: skip
    assert rows["Web form", "all"] == [3, 0, Decimal("0.00"), Decimal("450.00"), Decimal("150.00"), None, Decimal(-1)]
    assert rows["Web form", "Spring ads"] == [1, 0, Decimal("0.00"), Decimal("450.00"), Decimal("450.00"), None,
                                              Decimal(-1)]  # fmt: skip
    assert rows["Referral", "all"] == [0, 0, Decimal("0.00"), Decimal("300.00"), None, None, Decimal(-1)]
    assert ("Social media", "all") not in rows
    assert [row[1] for row in section.rows].count("all") == 3


def test_without_the_whole_company_in_view_the_cost_is_shown_but_no_ratios(costs, leads, admin, manager, rep):
    for user, criteria in ((manager, {}), (rep, {}), (admin, {"owner": rep}), (admin, {"region": "north"})):
        rows = {(row[0], row[1]): row[2:] for row in _section(user, **criteria).rows}
        assert rows["Trade fair", "all"][3] == Decimal("5100.00")
        assert rows["Trade fair", "all"][4:] == [None, None, None]


def test_the_source_filter_keeps_one_source(costs, leads, admin):
    assert {row[0] for row in _section(admin, source="web_form").rows} == {"Web form"}


def test_the_dashboard_shows_the_roi_and_the_nurturing_sections(costs, leads, admin, client):
    client.force_login(admin)
    response = client.get("/dashboard/", {"start": "2026-03-16", "end": "2026-04-15"})
    assert response.status_code == 200
    names = [section.name for section in response.context["data"]["sections"]]
    assert names.index("nurturing") == names.index("funnel") + 1
    assert "lead_roi" in names
    assert b'data-testid="table-lead_roi"' in response.content
    csv = client.get("/dashboard/export/lead_roi.csv", {"start": "2026-03-16", "end": "2026-04-15"})
    assert csv.status_code == 200
