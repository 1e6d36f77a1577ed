"""Stage conversion per week or month over the last twelve months, from the materialized stage
visits (docs/metrics.md, "Conversion trend").

Conversion of stage s in period P: of the deals that **left** s during P (a visit to s whose closing
history row falls in P; each deal once per stage and period), the share that **moved on** — the row
that ended a visit in P moved the deal to a stage of higher order in the same pipeline, or won it.
Judged when the deal left, so a past period's figure never changes (which the alert relies on).
One grouped query for every stage and period: periods are a VALUES table, joined on PostgreSQL by
each visit's local week or month (date_trunc, an equality join) and elsewhere by range; the closing
row and both stages by primary key.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from analytics.visits import visits_sync

GRAINS = {"week": _("Weekly"), "month": _("Monthly")}
DEFAULT_GRAIN = "week"
EXITS = {"left": _("left the stage"), "moved_on": _("moved on")}

# The row that closed the visit took the deal forward: won, or open in a higher stage of the pipeline.
MOVED_ON = "(c.kind = 'won' OR (c.to_status = 'open' AND t.pipeline_id = s.pipeline_id AND t.{order} > s.{order}))"
# A row that keeps the deal open in the same stage does not end its stay there.
LEFT = "NOT (c.to_status = 'open' AND c.to_stage_id = v.stage_id)"


@dataclass(frozen=True)
class Period:
    first_day: date
    after_day: date  # the day after the period

    @property
    def start(self):
        return _local_midnight(self.first_day)

    @property
    def end(self):
        return _local_midnight(self.after_day)


def _local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def period_of(grain, day):
    """The week (Monday to Sunday) or calendar month that holds `day`."""
    if grain == "week":
        first = day - timedelta(days=day.weekday())
        return Period(first, first + timedelta(days=7))
    first = day.replace(day=1)
    return Period(first, (first + timedelta(days=32)).replace(day=1))


def periods_back(grain, day, count):
    """`count` consecutive periods ending with the one that holds `day`, oldest first."""
    periods = [period_of(grain, day)]
    while len(periods) < count:
        periods.insert(0, period_of(grain, periods[0].first_day - timedelta(days=1)))
    return periods


PERIODS_IN_A_YEAR = {"week": 53, "month": 13}


def last_year(grain, today):
    """The 53 weeks or 13 months up to the current one, oldest first. Counting from the period that
    holds today − 365 days instead would give 54 weeks on the Monday after a Sunday a year ago."""
    return periods_back(grain, today, PERIODS_IN_A_YEAR[grain])


def is_period_start(grain, day):
    return period_of(grain, day).first_day == day


def _exits_sql(*, deals, stages, periods, select, where="", group=""):
    """The exits from `stages` in `periods` (alias v: the visit, p: its period, c: the row that
    closed it, s/t: the visit's stage and the stage the row put the deal in); `deals` None: all."""
    order = connection.ops.quote_name("order")
    if connection.vendor == "postgresql":
        # Each visit's local week or month by date_trunc, joined by equality (a hash join): a range
        # join compares every visit with each of the 53 periods (5.9 s at 100,000 deals, 0.7 million
        # exits). The same local boundaries as the Python periods: both use the current time zone.
        unit = "week" if (periods[0].after_day - periods[0].first_day).days == 7 else "month"
        values = ", ".join(["(CAST(%s AS INTEGER), CAST(%s AS date))"] * len(periods))
        columns = "(n, p_day)"
        join = f"p.p_day = CAST(date_trunc('{unit}', v.left_at AT TIME ZONE %s) AS date)"
        params = [value for n, p in enumerate(periods) for value in (n, p.first_day)]
        params.append(timezone.get_current_timezone_name())
    else:
        values = ", ".join(["(CAST(%s AS INTEGER), %s, %s)"] * len(periods))
        columns = "(n, p_start, p_end)"
        join = "v.left_at >= p.p_start AND v.left_at < p.p_end"
        params = [value for n, p in enumerate(periods) for value in (n, base.dt(p.start), base.dt(p.end))]
    stage_marks = ", ".join(["%s"] * len(stages))
    scope, scope_params = "", ()
    if deals is not None:
        deals_sql, scope_params = base.deal_ids_sql(deals)
        scope = f"AND v.deal_id IN ({deals_sql})"
    sql = f"""
        WITH periods {columns} AS (VALUES {values})
        SELECT {select}
        FROM analytics_stagevisit v
        JOIN periods p ON {join}
        JOIN deals_stagechange c ON c.id = v.left_change_id
        JOIN deals_stage s ON s.id = v.stage_id
        JOIN deals_stage t ON t.id = c.to_stage_id
        WHERE v.stage_id IN ({stage_marks}) AND v.left_at >= %s AND v.left_at < %s AND {LEFT} {scope} {where}
        {group}
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    params += [s.pk for s in stages] + [base.dt(periods[0].start), base.dt(periods[-1].end), *scope_params]
    return sql.replace("{order}", order), params


def conversion_counts(*, deals, stages, periods, sync=True):
    """{(period index, stage_id): (left, moved on)} — distinct deals, one grouped query."""
    if not stages or not periods:
        return {}
    if sync:
        visits_sync()
    select = f"p.n, v.stage_id, COUNT(DISTINCT v.deal_id), COUNT(DISTINCT CASE WHEN {MOVED_ON} THEN v.deal_id END)"
    sql, params = _exits_sql(
        deals=deals, stages=stages, periods=periods, select=select, group="GROUP BY p.n, v.stage_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(int(n), stage_id): (int(left), int(moved or 0)) for n, stage_id, left, moved in cursor.fetchall()}


def exit_deal_ids_sql(*, deals, stage, period, outcome):
    """(sql, params) selecting the ids of the deals behind one point: those that left `stage` in
    `period` (`outcome` = "left") or, of those, the ones that moved on ("moved_on")."""
    where = f"AND {MOVED_ON}" if outcome == "moved_on" else ""
    return _exits_sql(deals=deals, stages=[stage], periods=[period], select="v.deal_id", where=where)


def switch_url(criteria, grain):
    """The dashboard with the same filters, showing the trend by `grain`."""
    items = [*criteria.query_items(), ("trend", grain)]
    return f"{reverse('analytics:dashboard')}?{urlencode(items)}#section-conversion_trend"


def period_label(grain, period):
    if grain == "week":
        return date_format(period.first_day, "SHORT_DATE_FORMAT")
    return date_format(period.first_day, "YEAR_MONTH_FORMAT")


def conversion_trend_section(*, deals, criteria, pipeline, stages, today, grain=DEFAULT_GRAIN, sync=True):
    """One row per period (oldest first): per stage, the deals that left it and the conversion.
    A point or a "left" cell opens the deals that left; a conversion cell the ones that moved on."""
    grain = grain if grain in GRAINS else DEFAULT_GRAIN
    periods = last_year(grain, today)
    counts = conversion_counts(deals=deals, stages=stages, periods=periods, sync=sync)
    rows, links = [], {}
    for index, period in enumerate(periods):
        row = [period_label(grain, period)]
        for position, stage in enumerate(stages):
            left, moved_on = counts.get((index, stage.pk), (0, 0))
            row += [left, base.rate(moved_on, left)]
            if left:
                bucket = {"in_stage": stage.pk, "grain": grain, "period_start": period.first_day.isoformat()}
                links[(index, 1 + 2 * position)] = base.drill_url(criteria, "conversion", exit_outcome="left", **bucket)
                links[(index, 2 + 2 * position)] = base.drill_url(
                    criteria, "conversion", exit_outcome="moved_on", **bucket
                )
        rows.append(row)
    columns = [Column(_("Week from") if grain == "week" else _("Month"))]
    for stage in stages:
        columns += [
            Column(_("%(stage)s: left") % {"stage": stage.name}, "int"),
            Column(_("%(stage)s: conversion") % {"stage": stage.name}, "percent"),
        ]
    chart_links = [[links.get((i, 1 + 2 * position)) for i in range(len(periods))] for position in range(len(stages))]
    return Section(
        name="conversion_trend",
        title=_("Conversion trend by stage"),
        explanation=_(
            "For each week or month of the last twelve months and each stage: of the deals that left the stage "
            "in that period (each deal once), the share that moved on — to a later stage or won — at the moment "
            "they left. Deals lost or moved back count against it. The last point is the current, incomplete "
            "period; the period filter does not apply. A point or a “left” cell lists the deals that left, a "
            "conversion cell those that moved on."
        ),
        note=pipeline.name if pipeline else "",
        columns=columns,
        rows=rows,
        chart={
            "type": "line",
            "points": True,
            "percent_axis": True,
            "labels": [row[0] for row in rows],
            "datasets": [
                {
                    "label": stage.name,
                    "data": [None if row[2 + 2 * p] is None else round(100 * row[2 + 2 * p], 1) for row in rows],
                }
                for p, stage in enumerate(stages)
            ],
        },
        cell_links=links,
        chart_links=chart_links,
        switch={
            "name": "trend",
            "value": grain,
            "options": [(value, label, switch_url(criteria, value)) for value, label in GRAINS.items()],
        },
    )
