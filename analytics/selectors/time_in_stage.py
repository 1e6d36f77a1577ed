"""Time in stage and bottlenecks, from the materialized stage visits (docs/metrics.md,
"Time in stage", "Bottleneck")."""

from collections import defaultdict

from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from analytics.sections import Column, Section
from analytics.selectors import base
from analytics.visits import visits_sync
from deals.models import Deal, StageHealth


def visit_durations(*, deals, start, end, sync=True):
    """{stage_id: [seconds, …]} of the completed visits that ended in [start, end) (`deals` None: all).

    Reads the materialized visits (analytics.StageVisit): an index range on left_at, whatever the
    size of the history. `sync`: bring the visits up to date first (the dashboard did already).
    """
    if sync:
        visits_sync()
    where, params = "", ()
    if deals is not None:
        sql, params = base.deal_ids_sql(deals)
        where = f"AND v.deal_id IN ({sql})"
    sql = f"""
        SELECT v.stage_id, {base.seconds_between("v.entered_at", "v.left_at")} FROM analytics_stagevisit v
        WHERE v.left_at >= %s AND v.left_at < %s {where}
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    durations = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, (base.dt(start), base.dt(end), *params))
        for stage_id, seconds in cursor.fetchall():
            durations[stage_id].append(float(seconds))
    return durations


def visit_duration_stats(*, deals, start, end, sync=True):
    """{stage_id: (count, median seconds, 75th percentile seconds)} of `visit_durations`.

    On PostgreSQL `percentile_cont` computes them in the query (the same interpolation, in the same
    float arithmetic, as `percentile`), so a hundred thousand durations are not fetched; elsewhere
    they are taken in Python over the fetched durations.
    """
    if connection.vendor != "postgresql":
        durations = visit_durations(deals=deals, start=start, end=end, sync=sync)
        return {
            stage_id: (len(values), base.percentile(values, 0.5), base.percentile(values, 0.75))
            for stage_id, values in durations.items()
        }
    if sync:
        visits_sync()
    where, params = "", ()
    if deals is not None:
        sql, params = base.deal_ids_sql(deals)
        where = f"AND v.deal_id IN ({sql})"
    seconds = base.seconds_between("v.entered_at", "v.left_at")
    sql = f"""
        SELECT v.stage_id, COUNT(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}),
               percentile_cont(0.75) WITHIN GROUP (ORDER BY {seconds})
        FROM analytics_stagevisit v
        WHERE v.left_at >= %s AND v.left_at < %s {where}
        GROUP BY v.stage_id
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, (base.dt(start), base.dt(end), *params))
        return {stage_id: (int(n), median, p75) for stage_id, n, median, p75 in cursor.fetchall()}


def completed_visits_sql(*, deals, stage, start, end):
    """(sql, params) selecting the deal id of every completed visit to `stage` that ended in
    [start, end) — one row per visit, the rows `visit_duration_stats` counts for the stage."""
    deals_sql, deals_params = base.deal_ids_sql(deals)
    sql = f"""
        SELECT v.deal_id FROM analytics_stagevisit v
        WHERE v.stage_id = %s AND v.left_at >= %s AND v.left_at < %s AND v.deal_id IN ({deals_sql})
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    return sql, (stage.pk, base.dt(start), base.dt(end), *deals_params)


def completed_visits_count(*, deals, stage, start, end):
    """How many completed visits to `stage` ended in [start, end) (the "Completed visits" cell)."""
    sql, params = completed_visits_sql(deals=deals, stage=stage, start=start, end=end)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) visits", params)  # noqa: S608
        return cursor.fetchone()[0]


def open_entries(*, deals, stages):
    """{stage_id: [when each open deal entered its current stage]} for `stages` (one query)."""
    entries = defaultdict(list)
    rows = deals.filter(status=Deal.Status.OPEN, stage__in=stages).values_list("stage_id", "stage_entered_at")
    for stage_id, entered in rows:
        entries[stage_id].append(entered)
    return entries


def open_ages(*, deals, stages, now):
    """{stage_id: [age in seconds of each open deal's current visit]} for `stages`."""
    ages = defaultdict(list)
    for stage_id, entered in open_entries(deals=deals, stages=stages).items():
        ages[stage_id] = [(now - at).total_seconds() for at in entered]
    return ages


def median_age_marks(entered):
    """(count, low, high, fraction): the median of the ages `now − entered` interpolates between the
    ages of the entries `low` and `high` by `fraction`, whatever `now` is — ages keep their order as
    time passes. So a cached dashboard can state the median age as of the request, exactly as
    `percentile(ages, 0.5)` would, without keeping every entry time."""
    youngest_first = sorted(entered, reverse=True)
    if not youngest_first:
        return (0, None, None, 0.0)
    k = (len(youngest_first) - 1) * 0.5
    low = int(k)
    high = min(low + 1, len(youngest_first) - 1)
    return (len(youngest_first), youngest_first[low], youngest_first[high], k - low)


def median_age_seconds(marks, now):
    """The median age in seconds at `now` from `median_age_marks` (None without open deals)."""
    count, low, high, fraction = marks
    if not count:
        return None
    low_age, high_age = (now - low).total_seconds(), (now - high).total_seconds()
    return low_age + (high_age - low_age) * fraction


def open_age_marks(*, deals, stages):
    """{stage_id: median_age_marks} of the open deals in `stages` (one query)."""
    entries = open_entries(deals=deals, stages=stages)
    return {stage.pk: median_age_marks(entries.get(stage.pk, [])) for stage in stages}


def time_in_stage_section(*, deals, criteria, stages, now, marks=None, sync=True):
    durations = visit_duration_stats(deals=deals, start=criteria.period.start, end=criteria.period.end, sync=sync)
    marks = open_age_marks(deals=deals, stages=stages) if marks is None else marks
    health = {h.stage_id: h for h in StageHealth.objects.filter(stage__in=stages).fetch_mode(models.FETCH_RAISE)}
    rows, visit_links = [], []
    for stage in stages:
        completed, median, p75 = durations.get(stage.pk, (0, None, None))
        visit_links.append(base.drill_url(criteria, "stage_visits", in_stage=stage.pk) if completed else None)
        verdict = health.get(stage.pk)
        flag = ""
        if verdict and verdict.is_bottleneck:
            flag = f"{verdict.get_rule_display()}: {verdict.explanation}"
        rows.append(
            [
                stage.name,
                completed,
                round(completed * 7 / criteria.period.days, 1),
                base.days_from_seconds(median),
                base.days_from_seconds(p75),
                marks[stage.pk][0],
                base.days_from_seconds(median_age_seconds(marks[stage.pk], now)),
                flag,
            ]
        )
    return Section(
        name="time_in_stage",
        title=_("Time in stage and bottlenecks"),
        explanation=_(
            "Completed visits to each stage that ended in the period: how many left per week (throughput), and "
            "their median and 75th percentile in days. "
            "A stage is flagged as a bottleneck when it holds at least 5 open deals and either their median "
            "age exceeds 1.5 × the stage's median time (completed visits, last 6 months) or their count "
            "exceeds 1.5 × its average daily open count over the last 90 days (nightly snapshots). Flagged "
            "stages are red; the flag is computed for the whole installation every 15 minutes."
        ),
        columns=[
            Column(_("Stage")),
            Column(_("Completed visits"), "int"),
            Column(_("Throughput per week"), "days"),
            Column(_("Median days"), "days"),
            Column(_("75th percentile days"), "days"),
            Column(_("Open now"), "int"),
            Column(_("Median age of open (days)"), "days"),
            Column(_("Bottleneck")),
        ],
        rows=rows,
        chart={
            "type": "bar",
            "labels": [r[0] for r in rows],
            "datasets": [
                {"label": str(_("Median days")), "data": [r[3] for r in rows], "color": "accent"},
                {"label": str(_("75th percentile days")), "data": [r[4] for r in rows], "color": "muted"},
            ],
            "highlight": [bool(r[7]) for r in rows],
        },
        highlight=[bool(r[7]) for r in rows],
        cell_links={
            **{
                (index, column): base.drill_url(criteria, "open_in_stage", in_stage=stage.pk)
                for index, stage in enumerate(stages)
                for column in (OPEN_COUNT_COLUMN, 7)
                if column == OPEN_COUNT_COLUMN or rows[index][7]
            },
            # The completed visits and their statistics: the deals of those visits (a deal may
            # have several; the list states the number of visits, which is the cell).
            **{
                (index, column): visit_links[index]
                for index in range(len(stages))
                for column in VISIT_COLUMNS
                if visit_links[index]
            },
        },
        chart_links=[visit_links, visit_links],
    )


OPEN_COUNT_COLUMN, OPEN_AGE_COLUMN = 5, 6  # in the time-in-stage rows
VISIT_COLUMNS = (1, 2, 3, 4)  # completed visits, throughput, median and 75th percentile days
