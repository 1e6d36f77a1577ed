"""Cost and return of the lead sources and campaigns on the dashboard (docs/metrics.md, "Lead source
cost and ROI").

For the period P, per source and per campaign (`leads.Campaign`, matched to `Lead.campaign` by
source and name, ignoring case):

- leads, won deals and won value as in "Lead source performance": the leads created in P, the
  deals converted from them that are won (whenever they were won), and those deals' value;
- cost, prorated by days: a `SourceCost` month counts with the share of its days that lie in P;
  a campaign with both dates with the share of its days (first to last, inclusive) in P; a campaign
  with one date is a one-day campaign on it; a campaign without dates counts in full in every
  period (date your campaigns). A source's cost = its months + its campaigns;
- cost per lead = cost ÷ leads, cost per won deal = cost ÷ won deals, ROI = (won value − cost) ÷
  cost ("—" when a divisor is 0).

Costs are the company's, leads are scoped: the ratios are computed only when the dashboard shows
all leads (an admin with no owner, team or region filter); otherwise the cost is shown and the
ratios are "—", since the whole cost over part of its leads would mislead. Three queries.
"""

import calendar
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from analytics.sections import Column, Section
from deals.models import Deal
from leads.models import Campaign, Lead, SourceCost

ZERO = Decimal("0")
CENT = Decimal("0.01")


def overlap_days(first, last, period_first, period_last):
    return max(0, (min(last, period_last) - max(first, period_first)).days + 1)


def month_cost(row, period):
    """The share of a SourceCost month that lies in the period."""
    first = row.month.replace(day=1)
    last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
    days = (last - first).days + 1
    return row.cost * overlap_days(first, last, period.first_day, period.last_day) / days


def campaign_cost(campaign, period):
    """The share of a campaign's cost that lies in the period (see the module's rule)."""
    first, last = campaign.starts_on, campaign.ends_on
    if first is None and last is None:
        return campaign.cost
    first, last = first or last, last or first
    if last < first:
        first, last = last, first
    days = (last - first).days + 1
    return campaign.cost * overlap_days(first, last, period.first_day, period.last_day) / days


def costs(period):
    """({source: cost}, {(source, lower name): (campaign, cost)}) for the period; two queries."""
    by_source = defaultdict(lambda: ZERO)
    months = SourceCost.objects.filter(month__lte=period.last_day, month__gte=period.first_day.replace(day=1))
    for row in months:
        by_source[row.source] += month_cost(row, period)
    by_campaign = {}
    campaigns = Campaign.objects.filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=period.last_day),
        Q(ends_on__isnull=True) | Q(ends_on__gte=period.first_day),
    ).order_by("source", "name")
    for campaign in campaigns:
        cost = campaign_cost(campaign, period)
        by_source[campaign.source] += cost
        by_campaign[campaign.source, campaign.name.lower()] = (campaign, cost)
    return by_source, by_campaign


def lead_figures(*, lead_q):
    """{(source, lower campaign): [leads, won, won value]} of the leads matching `lead_q`; one query."""
    won = Q(deal__status=Deal.Status.WON)
    rows = (
        Lead.objects.filter(lead_q)
        .values("source", key=Lower("campaign"))
        .annotate(leads=Count("id"), won=Count("deal", filter=won), won_value=Sum("deal__value", filter=won))
        .order_by()
    )
    return {(r["source"], r["key"]): [r["leads"], r["won"], r["won_value"] or ZERO] for r in rows}


def _money(value):
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def ratios(*, leads, won, won_value, cost, shown=True):
    """(cost per lead, cost per won deal, ROI), None where undefined or not shown."""
    if not shown or not cost:
        return None, None, None
    return (
        _money(cost / leads) if leads else None,
        _money(cost / won) if won else None,
        (won_value - cost) / cost,
    )


def roi_section(*, user, criteria, lead_q):
    """The "Lead source cost and ROI" section; `lead_q` selects the leads of the lead source
    performance section (scope, period, owner, team, region, source)."""
    period = criteria.period
    by_source_cost, by_campaign = costs(period)
    figures = lead_figures(lead_q=lead_q)
    narrowed = criteria.region or criteria.industry or criteria.size or criteria.persona or criteria.stage
    shown = scoping.is_admin(user) and criteria.owner is None and criteria.team is None and not narrowed
    per_source = defaultdict(lambda: [0, 0, ZERO])
    for (source, _key), (n, won, value) in figures.items():
        totals = per_source[source]
        totals[0] += n
        totals[1] += won
        totals[2] += value
    sources = sorted(set(per_source) | {s for s, cost in by_source_cost.items() if cost})
    if criteria.source:
        sources = [s for s in sources if s == criteria.source]
    labels = dict(Lead.Source.choices)
    rows = []
    for source in sources:
        leads, won, value = per_source.get(source, (0, 0, ZERO))
        cost = _money(by_source_cost.get(source, ZERO))
        rows.append(
            [str(labels.get(source, source)), str(_("all")), leads, won, _money(value), cost,
             *ratios(leads=leads, won=won, won_value=value, cost=cost, shown=shown)]
        )  # fmt: skip
        for (campaign_source, key), (campaign, campaign_total) in by_campaign.items():
            if campaign_source != source:
                continue
            leads, won, value = figures.get((source, key), (0, 0, ZERO))
            cost = _money(campaign_total)
            rows.append(
                [str(labels.get(source, source)), campaign.name, leads, won, _money(value), cost,
                 *ratios(leads=leads, won=won, won_value=value, cost=cost, shown=shown)]
            )  # fmt: skip
    source_rows = [row for row in rows if row[1] == str(_("all"))]
    return Section(
        name="lead_roi",
        title=_("Lead source cost and ROI"),
        explanation=_(
            "Per source (all its campaigns and monthly costs) and per campaign: the leads created in the period, "
            "the won deals converted from them and their value, and the cost falling in the period (monthly "
            "source costs and dated campaigns prorated by days; a campaign without dates counts in full). Cost "
            "per lead, cost per won deal and ROI = (won value − cost) ÷ cost are shown when the dashboard covers "
            "all leads (an admin, no owner, team or region filter): the cost is the company's."
        ),
        columns=[
            Column(_("Source")),
            Column(_("Campaign")),
            Column(_("Leads"), "int"),
            Column(_("Won deals"), "int"),
            Column(_("Won value"), "money"),
            Column(_("Cost"), "money"),
            Column(_("Cost per lead"), "money"),
            Column(_("Cost per won deal"), "money"),
            Column(_("ROI"), "percent"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": [row[0] for row in source_rows],
            "datasets": [
                {"label": str(_("Cost")), "data": [float(row[5]) for row in source_rows]},
                {"label": str(_("Won value")), "data": [float(row[4]) for row in source_rows], "color": "ok"},
            ],
            "money": True,
        },
    )
