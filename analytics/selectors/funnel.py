"""The conversion funnel: stage-to-stage conversion by cohort (docs/metrics.md, "Funnel")."""

from django.db import connection
from django.utils.translation import gettext_lazy as _

from analytics.models import StageSlot
from analytics.sections import Column, Section
from analytics.selectors import base
from analytics.visits import bit_sql, visits_sync


def funnel_counts(*, deals, stages, start, end, sync=True):
    """{stage_id: (cohort, advanced, lost_here)} for the cohorts C(s, P) of `stages` (all of one pipeline).

    A deal enters s through a 'created', 'reopened' or stage-changing 'moved' row (an `entering`
    visit); it counts once per stage. Advanced = a later row of the deal enters a stage of higher
    order in the same pipeline, or wins; lost here = lost now with lost-from stage s and not
    advanced. Each visit keeps both facts about the rest of its deal's history (`won_later`, and
    `later_stages`: the stages it is open in from then on, compared with the stages ordered above
    now), and both only shrink as the visit starts later, so the deal advanced from its first entry
    in the period exactly when it advanced from any of them: MAX over the entries.
    """
    if not stages:
        return {}
    if sync:
        visits_sync()
    select = f"""v.stage_id, COUNT(*), SUM(CASE WHEN {ADVANCED} THEN 1 ELSE 0 END),
               SUM(CASE WHEN {LOST_HERE} THEN 1 ELSE 0 END)"""
    sql, params = _cohort_sql(deals=deals, stages=stages, start=start, end=end, select=select)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} GROUP BY v.stage_id", params)
        return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in cursor.fetchall()}


ADVANCED = "(v.won_later OR (v.later_stages & h.above) <> 0)"
LOST_HERE = f"(NOT {ADVANCED} AND d.status = 'lost' AND d.lost_from_stage_id = v.stage_id)"
OUTCOMES = {  # the drill-down's buckets of one stage's cohort
    "entered": "1 = 1",
    "advanced": ADVANCED,
    "lost": LOST_HERE,
    "open": f"(NOT {ADVANCED} AND NOT {LOST_HERE})",
}


def _cohort_sql(*, deals, stages, start, end, select, where=""):
    """The members of the cohorts C(s, P) of `stages`, one row per deal and stage (alias v: its
    first entering visit in the period, d: the scoped deal, h: the stages above s): the funnel
    groups them, the drill-down lists them, from the same FROM and WHERE."""
    deals_sql, deals_params = deals.values("id", "status", "lost_from_stage_id").query.sql_with_params()
    order = connection.ops.quote_name("order")
    slots = connection.ops.quote_name(StageSlot._meta.db_table)
    stage_marks = ", ".join(["%s"] * len(stages))
    sql = f"""
        -- The bits of the stages ordered above each stage now (the visits store no order).
        WITH higher AS (
            SELECT st.id AS stage_id, CAST(COALESCE(SUM({bit_sql("ss.slot")}), 0) AS BIGINT) AS above
            FROM deals_stage st
            LEFT JOIN deals_stage up ON up.pipeline_id = st.pipeline_id AND up.{order} > st.{order}
            LEFT JOIN {slots} ss ON ss.stage_id = up.id
            WHERE st.id IN ({stage_marks})
            GROUP BY st.id
        )
        -- One row per deal and stage: its first entry in the period (no earlier entry into the same
        -- stage since the period start), joined to the scoped deals for their current status.
        SELECT {select}
        FROM analytics_stagevisit v
        JOIN higher h ON h.stage_id = v.stage_id
        JOIN ({deals_sql}) d ON d.id = v.deal_id
        WHERE v.stage_id IN ({stage_marks}) AND v.entered_at >= %s AND v.entered_at < %s AND v.entering
              AND (v.previous_entry_at IS NULL OR v.previous_entry_at < %s) {where}
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    stage_ids = [s.pk for s in stages]
    params = (*stage_ids, *deals_params, *stage_ids, base.dt(start), base.dt(end), base.dt(start))
    return sql, params


def cohort_deal_ids_sql(*, deals, stage, start, end, outcome):
    """(sql, params) selecting the ids of the deals of C(stage, P) with `outcome` (OUTCOMES): the
    deals behind one cell of the funnel (for `Deal.objects.filter(pk__in=RawSQL(...))`)."""
    return _cohort_sql(
        deals=deals, stages=[stage], start=start, end=end, select="v.deal_id", where=f"AND {OUTCOMES[outcome]}"
    )


def _funnel_label(row):
    """'Stage: 60 % advanced, 20 % lost' — the drop-off readable on the chart itself."""
    if not row[1]:
        return row[0]
    return _("%(stage)s: %(advanced).0f %% advanced, %(lost).0f %% lost") % {
        "stage": row[0],
        "advanced": 100 * row[5],
        "lost": 100 * row[6],
    }


def funnel_section(*, deals, criteria, pipeline, stages, sync=True):
    counts = funnel_counts(
        deals=deals,
        stages=stages,
        start=criteria.period.start,
        end=criteria.period.end,
        sync=sync,
    )
    rows = []
    for stage in stages:
        cohort, advanced, lost = counts.get(stage.pk, (0, 0, 0))
        still_open = cohort - advanced - lost
        rows.append(
            [
                stage.name,
                cohort,
                advanced,
                lost,
                still_open,
                base.rate(advanced, cohort),
                base.rate(lost, cohort),
                base.rate(still_open, cohort),
            ]
        )
    outcomes = [(1, "entered"), (2, "advanced"), (3, "lost"), (4, "open")]
    links = {
        (index, column): base.drill_url(criteria, "funnel", in_stage=stage.pk, outcome=outcome)
        for index, stage in enumerate(stages)
        for column, outcome in outcomes
    }
    return Section(
        name="funnel",
        title=_("Conversion funnel"),
        explanation=_(
            "For each stage: the deals that entered it in the period (each deal once, however often it "
            "re-entered), and what became of them since: advanced to a later stage or won, lost in this "
            "stage, or still open. Lost deals stay in the denominator."
        ),
        note=pipeline.name if pipeline else "",
        columns=[
            Column(_("Stage")),
            Column(_("Entered"), "int"),
            Column(_("Advanced"), "int"),
            Column(_("Lost here"), "int"),
            Column(_("Still open"), "int"),
            Column(_("Conversion"), "percent"),
            Column(_("Drop-off"), "percent"),
            Column(_("Still open share"), "percent"),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "horizontal": True,
            "stacked": True,
            "labels": [_funnel_label(r) for r in rows],
            "datasets": [
                {"label": str(_("Advanced")), "data": [r[2] for r in rows], "color": "ok"},
                {"label": str(_("Lost here")), "data": [r[3] for r in rows], "color": "danger"},
                {"label": str(_("Still open")), "data": [r[4] for r in rows], "color": "muted"},
            ],
            "percent_of_row": True,
            "integer": True,
        },
        cell_links=links,
        chart_links=[[links[(i, column)] for i in range(len(stages))] for column, _o in outcomes[1:]],
    )
