"""Objections (docs/metrics.md, "Objections"): what customers objected to, in which stage, how it
was handled, and how the deals ended.

The objections counted are those raised in the period (their `created_at`) on the dashboard's deals
(scope and filters). A cell counts **deals** — the deals with at least one objection of the kind in
the row's stage or outcome — so that its drill-down lists exactly that many deals; beside the cells
each row shows its number of objections and the share of them that was resolved. Each table is one
grouped query (conditional distinct counts), whatever the number of deals or objections.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from deals.models import Deal, Objection

KINDS = list(Objection.Kind)
OUTCOMES = (
    (Deal.Status.WON, _("Won")),
    (Deal.Status.LOST, _("Lost")),
    (Deal.Status.OPEN, _("Open deal")),
)
# Columns after the row's label: one per kind, then deals, objections, resolved share.
DEALS_COLUMN = 1 + len(KINDS)


def objections_in_period(*, deals, criteria):
    """The objections behind every figure of this family: raised in the period on the dashboard's deals."""
    period = criteria.period
    return Objection.objects.filter(
        deal__in=deals.values("id"), created_at__gte=period.start, created_at__lt=period.end
    ).order_by()


def objection_deals(*, deals, criteria, stage=None, kind=None, outcome=None):
    """The deals behind one cell: the dashboard's deals with an objection raised in the period (in
    `stage`, of `kind`, on a deal whose status is `outcome` — each when given)."""
    objections = objections_in_period(deals=deals, criteria=criteria)
    if stage is not None:
        objections = objections.filter(stage=stage)
    if kind:
        objections = objections.filter(kind=kind)
    if outcome:
        objections = objections.filter(deal__status=outcome)
    return deals.filter(pk__in=objections.values("deal_id"))


def _counts():
    counts = {kind.value: Count("deal_id", distinct=True, filter=Q(kind=kind.value)) for kind in KINDS}
    return {
        **counts,
        "deals": Count("deal_id", distinct=True),
        "objections": Count("id"),
        "resolved": Count("id", filter=Q(handling=Objection.Handling.RESOLVED)),
    }


def _columns(first):
    return [
        Column(first),
        *(Column(kind.label, "int") for kind in KINDS),
        Column(_("Deals"), "int"),
        Column(_("Objections"), "int"),
        Column(_("Resolved"), "percent"),
    ]


def _row(label, group):
    return [
        label,
        *(group[kind.value] for kind in KINDS),
        group["deals"],
        group["objections"],
        base.rate(group["resolved"], group["objections"]),
    ]


def _section(*, name, title, explanation, first, labelled, link, note=""):
    """`labelled`: (label, group, bucket) per row; `link(bucket, kind)` the drill-down of a cell."""
    rows, cell_links = [], {}
    for index, (label, group, bucket) in enumerate(labelled):
        rows.append(_row(label, group))
        for column, kind in enumerate(KINDS, start=1):
            if group[kind.value]:
                cell_links[(index, column)] = link(bucket, kind.value)
        if group["deals"]:
            cell_links[(index, DEALS_COLUMN)] = link(bucket, None)
    return Section(
        name=name,
        title=title,
        explanation=explanation,
        columns=_columns(first),
        rows=rows,
        chart={
            "type": "bar",
            "stacked": True,
            "integer": True,
            "labels": [label for label, _group, _bucket in labelled],
            "datasets": [
                {"label": str(kind.label), "data": [group[kind.value] for _label, group, _bucket in labelled]}
                for kind in KINDS
            ],
        },
        note=note,
        cell_links=cell_links,
        chart_links=[
            [link(bucket, kind.value) if group[kind.value] else None for _label, group, bucket in labelled]
            for kind in KINDS
        ],
    )


def objections_by_stage_section(*, deals, criteria, pipeline):
    """Objections by the stage they were raised in (the chart pipeline's stages, in order) × kind.
    One query."""
    groups = []
    if pipeline is not None:
        groups = list(
            objections_in_period(deals=deals, criteria=criteria)
            .filter(stage__pipeline=pipeline)
            .values("stage_id", "stage__name", "stage__order")
            .annotate(**_counts())
            .order_by("stage__order", "stage_id")
        )
    return _section(
        name="objections_by_stage",
        title=_("Objections by stage"),
        explanation=_(
            "Objections raised in the period, by the stage the deal was in when the customer raised them. Each "
            "kind's cell counts the deals with at least one such objection; “Objections” counts them all, "
            "“Resolved” is the share of those marked resolved."
        ),
        first=_("Stage"),
        labelled=[(g["stage__name"], g, g["stage_id"]) for g in groups],
        link=lambda stage_id, kind: base.drill_url(criteria, "objections", in_stage=stage_id, objection_kind=kind),
        note=pipeline.name if pipeline else "",
    )


def objections_by_outcome_section(*, deals, criteria):
    """Objections by how their deal stands now (won, lost, still open) × kind. One query."""
    found = {
        g["deal__status"]: g
        for g in objections_in_period(deals=deals, criteria=criteria).values("deal__status").annotate(**_counts())
    }
    empty = dict.fromkeys([kind.value for kind in KINDS] + ["deals", "objections", "resolved"], 0)
    return _section(
        name="objections_by_outcome",
        title=_("Objections by outcome"),
        explanation=_(
            "Objections raised in the period, by what became of their deal: won, lost or still open today. Each "
            "kind's cell counts the deals with at least one such objection; “Resolved” is the share of the "
            "objections marked resolved."
        ),
        first=_("Outcome"),
        labelled=[(str(label), found.get(status, empty), status) for status, label in OUTCOMES],
        link=lambda status, kind: base.drill_url(criteria, "objections", deal_outcome=status, objection_kind=kind),
    )
