"""Where deals come from and why they are lost: lead source performance and lost reasons
(docs/metrics.md, "Lead source performance", "Lost reasons")."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from deals.models import Deal
from leads.models import Lead, LeadStatusChange


def lost_reasons_section(*, deals, criteria):
    period = criteria.period
    groups = list(
        deals.filter(status=Deal.Status.LOST, lost_at__gte=period.start, lost_at__lt=period.end)
        .values("lost_reason__name", "lost_from_stage__name", "lost_from_stage__order", "pipeline__name")
        .annotate(n=Count("id"), total=Sum("value"))
        .order_by("pipeline__name", "lost_from_stage__order", "-n", "lost_reason__name")
    )
    rows = [
        [g["lost_reason__name"], f"{g['lost_from_stage__name']}", g["pipeline__name"], g["n"], base.money(g["total"])]
        for g in groups
    ]
    stage_labels = list(dict.fromkeys(r[1] for r in rows))
    reasons = list(dict.fromkeys(r[0] for r in rows))
    counts = {(r[0], r[1]): 0 for r in rows}
    for r in rows:
        counts[(r[0], r[1])] += r[3]
    return Section(
        name="lost_reasons",
        title=_("Lost reasons by stage"),
        explanation=_(
            "Deals lost in the period, by the reason given and the stage they were lost from (the stage they "
            "were in when marked lost)."
        ),
        columns=[
            Column(_("Lost reason")),
            Column(_("Lost from stage")),
            Column(_("Pipeline")),
            Column(_("Deals"), "int"),
            Column(_("Value"), "money"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "stacked": True,
            "labels": stage_labels,
            "datasets": [
                {"label": reason, "data": [counts.get((reason, s), 0) for s in stage_labels]} for reason in reasons
            ],
        },
    )


def lead_q(*, user, criteria):
    """The leads of the lead metrics: scoped, created in the period, owner/team/region/source filtered."""
    period = criteria.period
    q = base.dashboard_owner_q(user) & base.person_q(criteria, "owner")
    q &= Q(created_at__gte=period.start, created_at__lt=period.end)
    if criteria.region:
        q &= Q(region=criteria.region)
    if criteria.source:
        q &= Q(source=criteria.source)
    return q


def lead_source_section(*, user, criteria):
    period = criteria.period
    q = lead_q(user=user, criteria=criteria)
    # A semi-join on the status history (a lead created in P qualifies at or after P's start), not a
    # correlated EXISTS: PostgreSQL hashes it whatever its statistics say.
    qualified_ids = LeadStatusChange.objects.filter(to_status="qualified", at__gte=period.start).values("lead_id")
    won = Q(deal__status=Deal.Status.WON)
    groups = list(
        Lead.objects.filter(q)
        .values("source", "campaign")
        .annotate(
            leads=Count("id"),
            qualified=Count("id", filter=Q(id__in=qualified_ids) | Q(status__in=["qualified", "converted"])),
            converted=Count("id", filter=Q(status="converted")),
            won=Count("deal", filter=won),
            won_value=Sum("deal__value", filter=won),
        )
        .order_by("source", "campaign")
    )
    labels = dict(Lead.Source.choices)
    rows = [
        [
            str(labels.get(g["source"], g["source"])),
            g["campaign"],
            g["leads"],
            g["qualified"],
            base.rate(g["qualified"], g["leads"]),
            g["converted"],
            base.rate(g["converted"], g["qualified"]),
            g["won"],
            base.rate(g["won"], g["converted"]),
            base.money(g["won_value"]),
        ]
        for g in groups
    ]
    by_source = defaultdict(lambda: [0, Decimal("0")])
    for r in rows:
        by_source[r[0]][0] += r[2]
        by_source[r[0]][1] += r[9]
    return Section(
        name="lead_sources",
        title=_("Lead source performance"),
        explanation=_(
            "Leads created in the period, per source and campaign: how many reached “qualified”, were converted "
            "to a deal, and how many of those deals were won, with the won value. Each rate is relative to the "
            "step before. Pipeline and product filters do not apply to leads."
        ),
        columns=[
            Column(_("Source")),
            Column(_("Campaign / content")),
            Column(_("Leads"), "int"),
            Column(_("Qualified"), "int"),
            Column(_("Qualified rate"), "percent"),
            Column(_("Converted"), "int"),
            Column(_("Conversion rate"), "percent"),
            Column(_("Won deals"), "int"),
            Column(_("Win rate"), "percent"),
            Column(_("Won value"), "money"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": list(by_source),
            "datasets": [
                {"label": str(_("Won value")), "data": [float(v[1]) for v in by_source.values()], "color": "ok"},
            ],
            "money": True,
        },
    )
