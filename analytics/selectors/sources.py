"""Where deals come from and why they are lost: lead source performance and lost reasons
(docs/metrics.md, "Lead source performance", "Lost reasons")."""

from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from deals.models import Deal
from leads.models import Lead, LeadStatusChange


def lost_deals(*, deals, criteria, pipeline):
    """The deals lost in the period from a stage of `pipeline` (lost reasons are per pipeline: the
    one chosen in the filter, else the default; reasons given in other pipelines never mix in)."""
    period = criteria.period
    q = Q(status=Deal.Status.LOST, lost_at__gte=period.start, lost_at__lt=period.end)
    return deals.filter(q, lost_from_stage__pipeline=pipeline)


def lost_reasons_section(*, deals, criteria, pipeline):
    lost = lost_deals(deals=deals, criteria=criteria, pipeline=pipeline) if pipeline else Deal.objects.none()
    groups = list(
        lost.values("lost_reason_id", "lost_reason__name", "lost_from_stage_id", "lost_from_stage__name")
        .annotate(n=Count("id"), total=Sum("value"))
        .order_by("lost_from_stage__order", "-n", "lost_reason__name")
    )
    rows = [
        [g["lost_reason__name"], g["lost_from_stage__name"], pipeline and pipeline.name, g["n"], base.money(g["total"])]
        for g in groups
    ]
    stage_ids = list(dict.fromkeys(g["lost_from_stage_id"] for g in groups))
    stage_names = {g["lost_from_stage_id"]: g["lost_from_stage__name"] for g in groups}
    reasons = list(dict.fromkeys((g["lost_reason_id"], g["lost_reason__name"]) for g in groups))
    counts = {(g["lost_reason_id"], g["lost_from_stage_id"]): g["n"] for g in groups}

    def link(reason_id, stage_id):
        return base.drill_url(criteria, "lost", reason=reason_id, lost_from=stage_id)

    cell_links = {}
    for index, g in enumerate(groups):
        url = link(g["lost_reason_id"], g["lost_from_stage_id"])
        cell_links[(index, 3)] = cell_links[(index, 4)] = url
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
            "integer": True,
            "labels": [stage_names[s] for s in stage_ids],
            "datasets": [
                {"label": name, "data": [counts.get((reason, s), 0) for s in stage_ids]} for reason, name in reasons
            ],
        },
        note=pipeline.name if pipeline else "",
        cell_links=cell_links,
        chart_links=[[link(reason, s) if (reason, s) in counts else None for s in stage_ids] for reason, _n in reasons],
    )


def lead_q(*, user, criteria):
    """The leads of the lead metrics: scoped, created in the period, and narrowed by the filters
    that a lead has: owner/team, region, source, industry, company size, persona (its own fields),
    and stage (the stage its deal is in now; a lead without a deal then drops out)."""
    period = criteria.period
    q = base.dashboard_owner_q(user) & base.person_q(criteria, "owner")
    q &= Q(created_at__gte=period.start, created_at__lt=period.end)
    for name, field in (("region", "region"), ("source", "source"), ("industry", "industry"), ("size", "size_band")):
        if getattr(criteria, name):
            q &= Q(**{field: getattr(criteria, name)})
    if criteria.persona is not None:
        q &= Q(persona_id=criteria.persona.pk)
    if criteria.stage is not None:
        q &= Q(deal__stage_id=criteria.stage.pk)
    return q


def lead_won_deals(*, user, criteria, source, campaign=None):
    """The won deals converted from the leads of `lead_q` with `source` (and `campaign`, when given):
    the deals behind the lead source section's "Won deals" and "Won value"."""
    leads = Lead.objects.filter(lead_q(user=user, criteria=criteria), source=source)
    if campaign is not None:
        leads = leads.filter(campaign=campaign)
    return Deal.objects.filter(status=Deal.Status.WON, source_lead__in=leads.values("id"))


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
    # The chart: per source, the counts of each step (integers on one axis; the money is in the table).
    by_source = defaultdict(lambda: [0, 0, 0, 0])
    for g in groups:
        totals = by_source[g["source"]]
        for i, key in enumerate(("leads", "qualified", "converted", "won")):
            totals[i] += g[key]
    cell_links = {}
    for index, g in enumerate(groups):
        url = base.drill_url(criteria, "lead_won", lead_source=g["source"], campaign=g["campaign"])
        cell_links[(index, 7)] = cell_links[(index, 9)] = url
    source_links = [base.drill_url(criteria, "lead_won", lead_source=source) for source in by_source]
    steps = [_("Leads"), _("Qualified"), _("Converted"), _("Won deals")]
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
            "labels": [str(labels.get(source, source)) for source in by_source],
            "datasets": [
                {"label": str(step), "data": [v[i] for v in by_source.values()]} for i, step in enumerate(steps)
            ],
            "integer": True,
        },
        cell_links=cell_links,
        chart_links=[[None] * len(by_source)] * 3 + [source_links],
    )
