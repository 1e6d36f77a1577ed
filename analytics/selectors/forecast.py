"""The forecast and the stage probabilities' calibration (docs/metrics.md, "Forecast")."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from analytics.visits import visits_sync
from deals.models import Deal

MIN_CLOSED_FOR_OBSERVED = 10


OBSERVED_WINDOW_DAYS = 365


OBSERVED_CACHE_SECONDS = 15 * 60


NOT_ENOUGH = _("not enough data")


def observed_probabilities(*, deals, now, sync=True):
    """{stage_id: (won, lost)} among the deals that were in the stage at any time in the last
    12 months (a visit overlapping [now − 365 days, now]) and are now closed.

    A deal that closed before the window cannot have been in a stage during it, so only the
    deals closed within the window are looked up in the materialized visits (by deal).
    """
    if sync:
        visits_sync()
    since = now - timedelta(days=OBSERVED_WINDOW_DAYS)
    deals = deals.filter(Q(status=Deal.Status.WON, won_at__gte=since) | Q(status=Deal.Status.LOST, lost_at__gte=since))
    deals_sql, deals_params = deals.values("id", "status").query.sql_with_params()
    sql = f"""
        -- A deal counts once per stage: the last of its visits to the stage overlapping the window
        -- (visits of one stage follow each other, so the next one overlaps too unless it began at
        -- or after `now`).
        SELECT v.stage_id,
               SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END)
        FROM analytics_stagevisit v JOIN ({deals_sql}) d ON d.id = v.deal_id
        WHERE v.entered_at < %s AND (v.left_at IS NULL OR v.left_at >= %s)
              AND (v.next_visit_at IS NULL OR v.next_visit_at >= %s)
        GROUP BY v.stage_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, (*deals_params, base.dt(now), base.dt(since), base.dt(now)))
        return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in cursor.fetchall()}


def observed_probabilities_cached(*, deals, now, sync=True):
    """observed_probabilities, kept OBSERVED_CACHE_SECONDS in the shared cache per scope and filters.

    A twelve-month rate barely moves within minutes, and it is the dashboard's costliest query; the
    key is the scoped, filtered deal query itself, so a cached answer never crosses scopes.
    """
    sql, params = base.deal_ids_sql(deals)
    key = "analytics:observed:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = observed_probabilities(deals=deals, now=now, sync=sync)
        cache.set(key, result, OBSERVED_CACHE_SECONDS)
    return result


def observed_probability(won_lost):
    """Observed probability in percent, or None with fewer than 10 closed deals."""
    won, lost = won_lost
    if won + lost < MIN_CLOSED_FOR_OBSERVED:
        return None
    return 100 * won / (won + lost)


def forecast_rows(*, deals, today):
    """Open deals grouped by (bucket, month, stage): count, value, weighted value (one query).

    bucket: 'overdue' (expected close date before today), 'month', or 'none' (no date).
    """
    probability = Coalesce("probability", "stage__probability")
    return list(
        deals.filter(status=Deal.Status.OPEN)
        .annotate(
            month=TruncMonth("expected_close_date"),
            overdue=ExpressionWrapper(Q(expected_close_date__lt=today), output_field=BooleanField()),
        )
        .values("month", "overdue", "stage_id")
        .annotate(
            n=Count("id"),
            total=Sum("value"),
            weighted=Sum(ExpressionWrapper(F("value") * probability / 100.0, output_field=base.MONEY)),
        )
        .order_by()
    )


def forecast_section(*, rows, stage_by_id, observed, criteria):
    buckets = {}
    for row in rows:
        if row["month"] is None:
            key = ("z", None)
        elif row["overdue"]:
            key = ("a", None)
        else:
            key = ("m", row["month"])
        entry = buckets.setdefault(key, [0, Decimal("0"), Decimal("0"), Decimal("0")])
        stage = stage_by_id[row["stage_id"]]
        value = base.money(row["total"])
        obs = observed_probability(observed.get(stage.pk, (0, 0)))
        obs_percent = Decimal(str(obs)) if obs is not None else Decimal(stage.probability)
        entry[0] += row["n"]
        entry[1] += value
        entry[2] += base.money(row["weighted"])
        entry[3] += value * obs_percent / 100
    table, links = [], []
    for (kind, month), (n, value, weighted, observed_value) in sorted(
        buckets.items(), key=lambda i: (i[0][0], i[0][1] or 0)
    ):
        if kind == "a":
            label = str(_("Overdue"))
        elif kind == "z":
            label = str(_("No close date"))
        else:
            label = date_format(month, "M Y")
        table.append([label, n, value, weighted.quantize(Decimal("0.01")), observed_value.quantize(Decimal("0.01"))])
        bucket = {"a": "overdue", "z": "none"}.get(kind) or month.strftime("%Y-%m")
        links.append(base.drill_url(criteria, "forecast", bucket=bucket))
    chart_rows = table
    return Section(
        name="forecast",
        title=_("Forecast by expected close month"),
        explanation=_(
            "Open deals only; won and lost deals never count. Weighted = value × the deal's probability "
            "override, else its stage's probability. Observed = value × the share of deals in that stage "
            "(last 12 months, now closed) that were won. Deals whose close date has passed are shown as "
            "overdue, not moved into a month."
        ),
        columns=[
            Column(_("Month")),
            Column(_("Open deals"), "int"),
            Column(_("Value"), "money"),
            Column(_("Weighted forecast"), "money"),
            Column(_("Observed forecast"), "money"),
        ],
        rows=table,
        chart={
            "type": "bar",
            "labels": [r[0] for r in chart_rows],
            "datasets": [
                {"label": str(_("Weighted forecast")), "data": [float(r[3]) for r in chart_rows], "color": "accent"},
                {"label": str(_("Observed forecast")), "data": [float(r[4]) for r in chart_rows], "color": "warn"},
            ],
            "money": True,
        },
        cell_links={(i, c): url for i, url in enumerate(links) for c in (1, 2)},
        chart_links=[links, links],
    )


def calibration_section(*, stages, observed):
    rows = []
    for stage in stages:
        won, lost = observed.get(stage.pk, (0, 0))
        obs = observed_probability((won, lost))
        rows.append([stage.name, stage.probability / 100, NOT_ENOUGH if obs is None else obs / 100, won, lost])
    return Section(
        name="calibration",
        title=_("Stage probability: configured vs observed"),
        explanation=_(
            "Observed probability of a stage = among the deals that were in it at any time in the last 12 "
            "months and are now closed, won ÷ (won + lost). With fewer than 10 closed deals it shows "
            "“not enough data” and the forecast uses the configured probability."
        ),
        columns=[
            Column(_("Stage")),
            Column(_("Configured"), "percent"),
            Column(_("Observed"), "percent"),
            Column(_("Won"), "int"),
            Column(_("Lost"), "int"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": str(_("Configured")), "data": [round(r[1] * 100, 1) for r in rows], "color": "muted"},
                {
                    "label": str(_("Observed")),
                    "data": [round(r[2] * 100, 1) if isinstance(r[2], float) else None for r in rows],
                    "color": "accent",
                },
            ],
            "percent_axis": True,
        },
    )
