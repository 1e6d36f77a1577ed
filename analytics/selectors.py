"""Every number on the dashboard, as defined in docs/metrics.md.

Each selector starts from the viewer's scope (`dashboard_deals`: a rep sees their own
deals, a manager their teams', an admin all) with the dashboard's FilterSet applied,
and answers with a `Section` whose table rows and chart data come from the same query.
Counts and sums are SQL aggregates; medians and percentiles are taken in Python over
one fetched column (SQLite has no percentile function), never with a query per row.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, models
from django.db.models import BooleanField, Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from activities.models import Activity, Kind
from analytics import filters, nurturing_section, quote_metrics, roi, sessions
from analytics.models import DailySnapshot, StageSlot
from analytics.sections import Column, Section
from analytics.visits import bit_sql, visits_sync
from deals import selectors as deal_selectors
from deals.models import CloseDateChange, Deal, Stage, StageChange, StageHealth
from leads.models import Campaign, Lead, LeadStatusChange, SourceCost
from nurturing.models import Send, TrackingEvent
from quotes.models import QuoteEvent

MIN_CLOSED_FOR_OBSERVED = 10
OBSERVED_WINDOW_DAYS = 365
OBSERVED_CACHE_SECONDS = 15 * 60
DASHBOARD_CACHE_SECONDS = 15 * 60
VELOCITY_DAYS = 90
NOT_ENOUGH = _("not enough data")
MONEY = DecimalField(max_digits=18, decimal_places=2)


# Scope ---------------------------------------------------------------------------------


def dashboard_owner_q(user, owner_field="owner"):
    """The rows whose owner counts on `user`'s dashboard (METRICS: a rep sees only their own)."""
    if filters.dashboard_is_own_only(user):
        return Q(**{f"{owner_field}_id": user.pk})
    return scoping.visible_owner_q(user, owner_field)


def dashboard_deals(*, user, filterset):
    """The deals behind every deal metric: scoped, then filtered by the FilterSet (validated)."""
    return filterset.filter_queryset(Deal.objects.filter(dashboard_owner_q(user))).order_by()


def _person_q(criteria, owner_field):
    q = Q()
    if criteria.owner is not None:
        q &= Q(**{f"{owner_field}_id": criteria.owner.pk})
    if criteria.team is not None:
        q &= Q(**{f"{owner_field}__team_id": criteria.team.pk})
    return q


def chart_pipeline(criteria):
    """The pipeline whose stages the stage-by-stage charts show."""
    return criteria.pipeline or deal_selectors.pipeline_get_default()


# Helpers -------------------------------------------------------------------------------


def percentile(values, q):
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    fraction = k - low
    if isinstance(ordered[low], Decimal):
        fraction = Decimal(str(fraction))
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def days_from_seconds(seconds):
    return None if seconds is None else round(seconds / 86400, 1)


def _rate(part, whole):
    return None if not whole else part / whole


def _seconds_between(start_sql, end_sql):
    if connection.vendor == "postgresql":
        # A float, not a numeric: a hundred thousand Decimals cost more to fetch than to compute.
        return f"CAST(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) AS double precision)"
    return f"((julianday({end_sql}) - julianday({start_sql})) * 86400.0)"


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _deal_ids_sql(deals):
    return deals.values("id").query.sql_with_params()


def visit_durations(*, deals, start, end, sync=True):
    """{stage_id: [seconds, …]} of the completed visits that ended in [start, end) (`deals` None: all).

    Reads the materialized visits (analytics.StageVisit): an index range on left_at, whatever the
    size of the history. `sync`: bring the visits up to date first (the dashboard did already).
    """
    if sync:
        visits_sync()
    where, params = "", ()
    if deals is not None:
        sql, params = _deal_ids_sql(deals)
        where = f"AND v.deal_id IN ({sql})"
    sql = f"""
        SELECT v.stage_id, {_seconds_between("v.entered_at", "v.left_at")} FROM analytics_stagevisit v
        WHERE v.left_at >= %s AND v.left_at < %s {where}
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    durations = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, (_dt(start), _dt(end), *params))
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
            stage_id: (len(values), percentile(values, 0.5), percentile(values, 0.75))
            for stage_id, values in durations.items()
        }
    if sync:
        visits_sync()
    where, params = "", ()
    if deals is not None:
        sql, params = _deal_ids_sql(deals)
        where = f"AND v.deal_id IN ({sql})"
    seconds = _seconds_between("v.entered_at", "v.left_at")
    sql = f"""
        SELECT v.stage_id, COUNT(*),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}),
               percentile_cont(0.75) WITHIN GROUP (ORDER BY {seconds})
        FROM analytics_stagevisit v
        WHERE v.left_at >= %s AND v.left_at < %s {where}
        GROUP BY v.stage_id
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    with connection.cursor() as cursor:
        cursor.execute(sql, (_dt(start), _dt(end), *params))
        return {stage_id: (int(n), median, p75) for stage_id, n, median, p75 in cursor.fetchall()}


# Funnel ---------------------------------------------------------------------------------


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
    deals_sql, deals_params = deals.values("id", "status", "lost_from_stage_id").query.sql_with_params()
    order = connection.ops.quote_name("order")
    slots = connection.ops.quote_name(StageSlot._meta.db_table)
    stage_marks = ", ".join(["%s"] * len(stages))
    advanced = "(v.won_later OR (v.later_stages & h.above) <> 0)"
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
        SELECT v.stage_id, COUNT(*), SUM(CASE WHEN {advanced} THEN 1 ELSE 0 END),
               SUM(CASE WHEN NOT {advanced} AND d.status = 'lost' AND d.lost_from_stage_id = v.stage_id
                        THEN 1 ELSE 0 END)
        FROM analytics_stagevisit v
        JOIN higher h ON h.stage_id = v.stage_id
        JOIN ({deals_sql}) d ON d.id = v.deal_id
        WHERE v.stage_id IN ({stage_marks}) AND v.entered_at >= %s AND v.entered_at < %s AND v.entering
              AND (v.previous_entry_at IS NULL OR v.previous_entry_at < %s)
        GROUP BY v.stage_id
    """  # noqa: S608 (constants and ORM-compiled SQL; every value is a bound parameter)
    stage_ids = [s.pk for s in stages]
    params = (*stage_ids, *deals_params, *stage_ids, _dt(start), _dt(end), _dt(start))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in cursor.fetchall()}


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
                _rate(advanced, cohort),
                _rate(lost, cohort),
                _rate(still_open, cohort),
            ]
        )
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
        },
    )


# Outcomes -------------------------------------------------------------------------------


@dataclass
class Outcomes:
    won: int
    lost: int
    won_value: Decimal
    win_rate: float | None
    average_size: Decimal | None
    median_size: Decimal | None
    cycle_median_days: float | None
    cycle_p75_days: float | None


def outcomes(*, deals, start, end):
    """Win rate, deal sizes and sales cycle of the deals closed in [start, end) (one query)."""
    rows = list(
        deals.filter(
            Q(status=Deal.Status.WON, won_at__gte=start, won_at__lt=end)
            | Q(status=Deal.Status.LOST, lost_at__gte=start, lost_at__lt=end)
        ).values_list("status", "value", "created_at", "won_at")
    )
    won = [(value, created, won_at) for status, value, created, won_at in rows if status == Deal.Status.WON]
    lost = len(rows) - len(won)
    values = [value for value, _created, _won_at in won]
    cycles = [(won_at - created).total_seconds() for _value, created, won_at in won]
    won_value = sum(values, Decimal("0"))
    median_size = percentile(values, 0.5)
    return Outcomes(
        won=len(won),
        lost=lost,
        won_value=won_value,
        win_rate=_rate(len(won), len(rows)),
        average_size=(won_value / len(won)).quantize(Decimal("0.01")) if won else None,
        median_size=Decimal(median_size).quantize(Decimal("0.01")) if median_size is not None else None,
        cycle_median_days=days_from_seconds(percentile(cycles, 0.5)),
        cycle_p75_days=days_from_seconds(percentile(cycles, 0.75)),
    )


def velocity(*, open_count, recent):
    """(open deals × win rate × average won value) ÷ median sales cycle in days → money per day."""
    if not recent.win_rate or not recent.average_size or not recent.cycle_median_days:
        return None
    per_day = Decimal(open_count) * Decimal(str(recent.win_rate)) * recent.average_size
    return (per_day / Decimal(str(recent.cycle_median_days))).quantize(Decimal("0.01"))


def slippage(*, deals, start, end):
    """Among deals closed in [start, end): (closed, slipped, share, median total days moved later)."""
    closed = deals.filter(
        Q(status=Deal.Status.WON, won_at__gte=start, won_at__lt=end)
        | Q(status=Deal.Status.LOST, lost_at__gte=start, lost_at__lt=end)
    )
    changes = CloseDateChange.objects.filter(
        deal__in=closed.values("id"), old_date__isnull=False, new_date__isnull=False
    ).values_list("deal_id", "old_date", "new_date")
    closed_count = closed.count()
    moved_later, total_days = set(), defaultdict(int)
    for deal_id, old, new in changes:
        total_days[deal_id] += (new - old).days
        if new > old:
            moved_later.add(deal_id)
    days = [total_days[deal_id] for deal_id in moved_later]
    return {
        "closed": closed_count,
        "slipped": len(moved_later),
        "share": _rate(len(moved_later), closed_count),
        "median_days": percentile(days, 0.5),
    }


# Forecast --------------------------------------------------------------------------------


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
        cursor.execute(sql, (*deals_params, _dt(now), _dt(since), _dt(now)))
        return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in cursor.fetchall()}


def observed_probabilities_cached(*, deals, now, sync=True):
    """observed_probabilities, kept OBSERVED_CACHE_SECONDS in the shared cache per scope and filters.

    A twelve-month rate barely moves within minutes, and it is the dashboard's costliest query; the
    key is the scoped, filtered deal query itself, so a cached answer never crosses scopes.
    """
    sql, params = _deal_ids_sql(deals)
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
            weighted=Sum(ExpressionWrapper(F("value") * probability / 100.0, output_field=MONEY)),
        )
        .order_by()
    )


def _money(value):
    return Decimal(value or 0).quantize(Decimal("0.01"))


def forecast_section(*, rows, stage_by_id, observed):
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
        value = _money(row["total"])
        obs = observed_probability(observed.get(stage.pk, (0, 0)))
        obs_percent = Decimal(str(obs)) if obs is not None else Decimal(stage.probability)
        entry[0] += row["n"]
        entry[1] += value
        entry[2] += _money(row["weighted"])
        entry[3] += value * obs_percent / 100
    table = []
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


# Trend (snapshots) --------------------------------------------------------------------------


def snapshot_rows(*, user, criteria):
    """Daily totals for the period from the nightly snapshots, filtered like the deals."""
    q = dashboard_owner_q(user) & _person_q(criteria, "owner")
    q &= Q(day__gte=criteria.period.first_day, day__lte=criteria.period.last_day)
    q &= Q(product=criteria.product) if criteria.product else Q(product__isnull=True)
    if criteria.pipeline:
        q &= Q(pipeline=criteria.pipeline)
    if criteria.region:
        q &= Q(region=criteria.region)
    if criteria.source:
        q &= Q(source=criteria.source)
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


def trend_section(*, user, criteria):
    rows = [
        [r["day"], r["open_count"], _money(r["open_value"]), _money(r["weighted_value"]), _money(r["won_value"])]
        for r in snapshot_rows(user=user, criteria=criteria)
    ]
    return Section(
        name="trend",
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


# Time in stage and bottlenecks ----------------------------------------------------------------


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
    rows = []
    for stage in stages:
        completed, median, p75 = durations.get(stage.pk, (0, None, None))
        verdict = health.get(stage.pk)
        flag = ""
        if verdict and verdict.is_bottleneck:
            flag = f"{verdict.get_rule_display()}: {verdict.explanation}"
        rows.append(
            [
                stage.name,
                completed,
                round(completed * 7 / criteria.period.days, 1),
                days_from_seconds(median),
                days_from_seconds(p75),
                marks[stage.pk][0],
                days_from_seconds(median_age_seconds(marks[stage.pk], now)),
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
    )


# Lost reasons ------------------------------------------------------------------------------


def lost_reasons_section(*, deals, criteria):
    period = criteria.period
    groups = list(
        deals.filter(status=Deal.Status.LOST, lost_at__gte=period.start, lost_at__lt=period.end)
        .values("lost_reason__name", "lost_from_stage__name", "lost_from_stage__order", "pipeline__name")
        .annotate(n=Count("id"), total=Sum("value"))
        .order_by("pipeline__name", "lost_from_stage__order", "-n", "lost_reason__name")
    )
    rows = [
        [g["lost_reason__name"], f"{g['lost_from_stage__name']}", g["pipeline__name"], g["n"], _money(g["total"])]
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


# Leads ----------------------------------------------------------------------------------------


def lead_q(*, user, criteria):
    """The leads of the lead metrics: scoped, created in the period, owner/team/region/source filtered."""
    period = criteria.period
    q = dashboard_owner_q(user) & _person_q(criteria, "owner")
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
            _rate(g["qualified"], g["leads"]),
            g["converted"],
            _rate(g["converted"], g["qualified"]),
            g["won"],
            _rate(g["won"], g["converted"]),
            _money(g["won_value"]),
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


# Activities -------------------------------------------------------------------------------------


def activities_section(*, user, criteria):
    period = criteria.period
    q = dashboard_owner_q(user, "assignee") & _person_q(criteria, "assignee")
    groups = list(
        Activity.objects.filter(q, done_at__gte=period.start, done_at__lt=period.end)
        .values("assignee__username", "assignee__first_name", "assignee__last_name", "kind")
        .annotate(n=Count("id"))
        .order_by("assignee__username", "kind")
    )
    kinds = list(Kind.choices)
    per_rep = {}
    for g in groups:
        name = f"{g['assignee__first_name']} {g['assignee__last_name']}".strip() or g["assignee__username"]
        per_rep.setdefault(name, dict.fromkeys((k for k, _label in kinds), 0))[g["kind"]] = g["n"]
    rows = [[name, *counts.values(), sum(counts.values())] for name, counts in per_rep.items()]
    return Section(
        name="activities",
        title=_("Activities per rep and kind"),
        explanation=_("Activities completed in the period, by the person assigned and the kind of activity."),
        columns=[Column(_("Rep")), *[Column(label, "int") for _k, label in kinds], Column(_("Total"), "int")],
        rows=rows,
        chart={
            "type": "bar",
            "stacked": True,
            "labels": list(per_rep),
            "datasets": [
                {"label": str(label), "data": [r[1 + i] for r in rows]} for i, (_k, label) in enumerate(kinds)
            ],
        },
    )


# The dashboard ------------------------------------------------------------------------------------

SECTIONS = (
    "funnel",
    "nurturing",
    "forecast",
    "calibration",
    "trend",
    "time_in_stage",
    "lost_reasons",
    "quotes",
    "lead_sources",
    "lead_roi",
    "activities",
)


def dashboard(*, user, filterset, only=None, now=None):
    """Everything the dashboard shows: KPI tiles and its sections (or only one section, for CSV).

    Queries (full dashboard): default pipeline (when none is picked), stages, the stage visits'
    watermark (analytics.visits: one query when the visits are current, their incremental sync
    otherwise — before the data version, so the version names the history they reflect), the data
    version; then, unless the shared cache holds the answer for this scope, these filters and this
    data version: funnel, outcomes (period), outcomes (90 days), slippage (2), forecast, observed
    probability (cached on its own), snapshots, visit durations, open ages, stage health, lost
    reasons, quotes, nurturing (3: analytics/nurturing_section.py), lead sources, lead source cost and ROI
    (3: analytics/roi.py), activities. A CSV export (`only`) reads the live tables (its funnel,
    time in stage and observed probabilities sync the visits first).
    """
    now = now or timezone.now()
    criteria = filterset.criteria()
    deals = dashboard_deals(user=user, filterset=filterset)
    wanted = set(SECTIONS) if only is None else {only}
    needs_stages = wanted & {"funnel", "forecast", "calibration", "time_in_stage"} or only is None
    pipeline = chart_pipeline(criteria) if needs_stages else None
    all_stages = (
        list(
            Stage.objects.select_related("pipeline").order_by("pipeline__order", "order").fetch_mode(models.FETCH_RAISE)
        )
        if needs_stages
        else []
    )
    stages = [s for s in all_stages if pipeline and s.pipeline_id == pipeline.pk]
    if only is None and needs_stages:
        # The materialized visits first: the data version then names the history they reflect.
        visits_sync()
    compute = {
        "user": user,
        "criteria": criteria,
        "deals": deals,
        "wanted": wanted,
        "pipeline": pipeline,
        "all_stages": all_stages,
        "stages": stages,
        "now": now,
    }
    if only is None:
        key = _dashboard_cache_key(
            user=user, deals=deals, criteria=criteria, stages=all_stages, pipeline=pipeline, now=now
        )
        payload = cache.get(key)
        if payload is None:
            with sessions.analytical_transaction():  # PostgreSQL: no JIT, sorts in memory (+1 query)
                payload = _dashboard_payload(**compute)
            cache.set(key, payload, DASHBOARD_CACHE_SECONDS)
        else:
            _age_open_deals(payload, stages=stages, now=now)
    else:
        payload = _dashboard_payload(**compute)
    sections = payload["sections"]
    result = {"criteria": criteria, "pipeline": pipeline, "sections": [sections[n] for n in SECTIONS if n in sections]}
    if only is None:
        result["kpis"] = payload["kpis"]
    return result


def _dashboard_payload(*, user, criteria, deals, wanted, pipeline, all_stages, stages, now):
    """The sections and KPI tiles from the live tables (what the shared cache keeps)."""
    full = wanted == set(SECTIONS)
    sections = {}
    if "funnel" in wanted:
        sections["funnel"] = funnel_section(
            deals=deals, criteria=criteria, pipeline=pipeline, stages=stages, sync=not full
        )
    observed = {}
    if wanted & {"forecast", "calibration"}:
        observed = observed_probabilities_cached(deals=deals, now=now, sync=not full)
    rows = []
    if "forecast" in wanted:
        rows = forecast_rows(deals=deals, today=timezone.localdate(now))
        sections["forecast"] = forecast_section(rows=rows, stage_by_id={s.pk: s for s in all_stages}, observed=observed)
    if "calibration" in wanted:
        sections["calibration"] = calibration_section(stages=stages, observed=observed)
        sections["calibration"].note = pipeline.name if pipeline else ""
        if scoping.is_admin(user):
            sections["calibration"].link = (reverse("admin:deals_stage_changelist"), _("Edit stage probabilities"))
    if "trend" in wanted:
        sections["trend"] = trend_section(user=user, criteria=criteria)
    marks = {}
    if "time_in_stage" in wanted:
        marks = open_age_marks(deals=deals, stages=stages)
        sections["time_in_stage"] = time_in_stage_section(
            deals=deals, criteria=criteria, stages=stages, now=now, marks=marks, sync=not full
        )
        sections["time_in_stage"].note = pipeline.name if pipeline else ""
    if "lost_reasons" in wanted:
        sections["lost_reasons"] = lost_reasons_section(deals=deals, criteria=criteria)
    if "quotes" in wanted:
        sections["quotes"] = quote_metrics.quotes_section(deals=deals, criteria=criteria, today=timezone.localdate(now))
    if "nurturing" in wanted:
        sections["nurturing"] = nurturing_section.nurturing_section(user=user, criteria=criteria)
    if "lead_sources" in wanted:
        sections["lead_sources"] = lead_source_section(user=user, criteria=criteria)
    if "lead_roi" in wanted:
        sections["lead_roi"] = roi.roi_section(
            user=user, criteria=criteria, lead_q=lead_q(user=user, criteria=criteria)
        )
    if "activities" in wanted:
        sections["activities"] = activities_section(user=user, criteria=criteria)
    payload = {"sections": sections, "open_age_marks": marks}
    if full:
        payload["kpis"] = kpis(deals=deals, criteria=criteria, forecast=rows, now=now)
    return payload


OPEN_COUNT_COLUMN, OPEN_AGE_COLUMN = 5, 6  # in the time-in-stage rows


def _age_open_deals(payload, *, stages, now):
    """A cached time-in-stage table states the open deals' median age as of this request."""
    section, marks = payload["sections"].get("time_in_stage"), payload["open_age_marks"]
    if section is None:
        return
    for row, stage in zip(section.rows, stages, strict=True):
        row[OPEN_AGE_COLUMN] = days_from_seconds(median_age_seconds(marks[stage.pk], now))


# The data version -----------------------------------------------------------------------------

_VERSION_SOURCES = (
    # (table, column): every write the dashboard reads moves one of these.
    (StageChange, "id"),  # moves, wins, losses, reopenings (append-only)
    (Deal, "id"),  # new deals
    (Deal, "updated_at"),  # every change of a deal (value, owner, close date, …), set by its services
    (CloseDateChange, "id"),  # slippage (append-only)
    (Lead, "updated_at"),  # new and changed leads
    (LeadStatusChange, "id"),  # qualifications (append-only)
    (Activity, "updated_at"),  # completed activities
    (DailySnapshot, "id"),  # a rollup rewrites a day with new rows
    (StageHealth, "computed_at"),  # the bottleneck verdicts (every 15 minutes)
    (QuoteEvent, "id"),  # quotes sent, answered, expired (append-only; every change of a quote's state)
    (Send, "id"),  # marketing e-mails (their delivery and replies are stamped later: cached ≤ 15 minutes)
    (TrackingEvent, "id"),  # clicks and opens (append-only)
    (Campaign, "id"),  # new campaigns (a changed cost shows within the cache's 15 minutes)
    (SourceCost, "id"),  # new monthly source costs
)


def data_version():
    """One cheap query: the newest row or change of every table behind the dashboard.

    Each part is the MAX of a primary key or an indexed timestamp (an index lookup, whatever the
    size of the history), so a changed deal changes the version and the next request recomputes.
    """
    quote = connection.ops.quote_name
    parts = ", ".join(
        f"(SELECT MAX({quote(column)}) FROM {quote(model._meta.db_table)})"  # noqa: S608 (names from the models)
        for model, column in _VERSION_SOURCES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return tuple(str(value) for value in cursor.fetchone())


def _dashboard_cache_key(*, user, deals, criteria, stages, pipeline, now):
    """Scope (the scoped, filtered deal query itself), filters, day, language, stages and data version."""
    sql, params = _deal_ids_sql(deals)
    parts = [
        sql,
        repr(params),
        repr(scoping.is_admin(user)),
        repr(criteria.query_items()),
        timezone.localdate(now).isoformat(),
        translation.get_language() or "",
        repr(pipeline and (pipeline.pk, pipeline.name)),
        repr([(s.pk, s.pipeline_id, s.name, s.order, s.probability, s.pipeline.name) for s in stages]),
        repr(data_version()),
    ]
    return "analytics:dashboard:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def kpis(*, deals, criteria, forecast, now):
    period = criteria.period
    current = outcomes(deals=deals, start=period.start, end=period.end)
    recent_period = filters.Period.last_days(VELOCITY_DAYS, today=timezone.localdate(now))
    # With the default period (the last 90 days) both are the same deals: one query, not two.
    recent = (
        current if recent_period == period else outcomes(deals=deals, start=recent_period.start, end=recent_period.end)
    )
    open_count = sum(r["n"] for r in forecast)
    return {
        "open_count": open_count,
        "open_value": sum((_money(r["total"]) for r in forecast), Decimal("0")),
        "weighted": sum((_money(r["weighted"]) for r in forecast), Decimal("0")),
        "outcomes": current,
        "velocity": velocity(open_count=open_count, recent=recent),
        "slippage": slippage(deals=deals, start=period.start, end=period.end),
    }
