"""The pipeline value trend from the nightly snapshots (docs/metrics.md, "Snapshots")."""

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from analytics.models import DailySnapshot
from analytics.sections import Column, Section
from analytics.selectors import base


def snapshot_rows(*, user, criteria):
    """Daily totals for the period from the nightly snapshots, filtered like the deals."""
    q = base.dashboard_owner_q(user) & base.person_q(criteria, "owner")
    q &= Q(day__gte=criteria.period.first_day, day__lte=criteria.period.last_day)
    q &= Q(product=criteria.product) if criteria.product else Q(product__isnull=True)
    if criteria.pipeline:
        q &= Q(pipeline=criteria.pipeline)
    if criteria.region:
        q &= Q(region=criteria.region)
    if criteria.source:
        q &= Q(source=criteria.source)
    if criteria.stage:
        q &= Q(stage=criteria.stage)
    return list(
        DailySnapshot.objects.filter(q)
        .values("day")
        .annotate(
            open_count=Sum("open_count"),
            open_value=Sum("open_value"),
            weighted_value=Sum("weighted_value"),
            won_value=Sum("won_value"),
        )
        .order_by("day")
    )


def snapshots_cover(criteria):
    """The snapshots keep pipeline, stage, owner, region, source and product, not the organization's
    industry or size or the lead's persona: with those filters there is no trend to show."""
    return not (criteria.industry or criteria.size or criteria.persona)


def trend_section(*, user, criteria):
    covered = snapshots_cover(criteria)
    rows = [
        [
            r["day"],
            r["open_count"],
            base.money(r["open_value"]),
            base.money(r["weighted_value"]),
            base.money(r["won_value"]),
        ]
        for r in (snapshot_rows(user=user, criteria=criteria) if covered else [])
    ]
    return Section(
        name="trend",
        note="" if covered else _("not kept per industry, company size or persona"),
        title=_("Pipeline value trend"),
        explanation=_(
            "From the nightly snapshots: the open deals at the end of each day (value and weighted value) "
            "and the value won that day. Days before the first rollup have no snapshot."
        ),
        columns=[
            Column(_("Day"), "date"),
            Column(_("Open deals"), "int"),
            Column(_("Open value"), "money"),
            Column(_("Weighted value"), "money"),
            Column(_("Won that day"), "money"),
        ],
        rows=rows,
        chart={
            "type": "line",
            "labels": [r[0].isoformat() for r in rows],
            "datasets": [
                {"label": str(_("Open value")), "data": [float(r[2]) for r in rows], "color": "accent"},
                {"label": str(_("Weighted value")), "data": [float(r[3]) for r in rows], "color": "warn"},
            ],
            "money": True,
        },
    )
