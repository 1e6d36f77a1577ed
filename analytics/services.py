"""Writes of the analytics app: the nightly snapshot rollup and the bottleneck verdicts.

The rollup is set-based SQL over a range of days (PostgreSQL: one statement for both grains,
all deals and per product; SQLite: one per grain), never a Python loop over deals. Rerunning
a day deletes and rewrites its rows in one transaction, so a backfill equals the nightly runs.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import sessions
from analytics.filters import local_midnight
from analytics.models import DailySnapshot
from analytics.selectors import base, time_in_stage
from analytics.visits import visits_sync
from deals.models import Deal, Stage, StageHealth, StageOwnerLoad

BOTTLENECK_MIN_OPEN = StageHealth.MIN_OPEN
BOTTLENECK_FACTOR = StageHealth.FACTOR
HISTORY_DAYS = 182  # "last 6 months" of completed visits
PILE_UP_DAYS = 90

# The open state at the end of a day = the stage visits open at that moment (analytics.visits:
# a visit runs from a row that leaves the deal open to the deal's next history row in (at, id)
# order, so the visit open at a day's end is opened by the deal's last row before it, exactly the
# row a ROW_NUMBER() over the whole history would pick). Its stage, owner and value then come
# from the opening row. The visit is open at the end of local day d when
# entered_at < end(d) <= left_at, i.e. for the local days from entered_at's to the one before
# left_at's. An index range on left_at (or left_at IS NULL) finds them, so a day costs the deals
# open on it plus the changes since, not the whole history.
_OPEN_VISIT = """
    SELECT {day} AS day, v.deal_id, v.pipeline_id, v.stage_id, sc.owner_id,
           1 AS open_count, sc.value AS open_value,
           sc.value * COALESCE(dl.probability, st.probability) / 100.0 AS weighted_value,
           0 AS won_count, 0 AS won_value, 0 AS lost_count, 0 AS lost_value
    FROM analytics_stagevisit v
    JOIN deals_stagechange sc ON sc.id = v.entered_change_id
    JOIN deals_deal dl ON dl.id = v.deal_id
    JOIN deals_stage st ON st.id = v.stage_id
    {days_join}
    WHERE v.entered_at < %(last_end)s AND (v.left_at IS NULL OR v.left_at >= %(first_end)s)
"""
_EVENTS = """
    SELECT {day} AS day, sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, 0, 0, 0,
           CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'won' THEN sc.value ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN sc.value ELSE 0 END
    FROM deals_stagechange sc
    {days_join}
    WHERE sc.at >= %(first_start)s AND sc.at < %(last_end)s AND sc.kind IN ('won', 'lost')
"""
# SQLite: a VALUES table of the days with their local midnights (the database has no time zone
# rules), joined by range: each visit expands to the days it is open on.
_DAYS_VISIT_JOIN = "JOIN days dy ON v.entered_at < dy.day_end AND (v.left_at IS NULL OR v.left_at >= dy.day_end)"
_DAYS_EVENT_JOIN = "JOIN days dy ON sc.at >= dy.day_start AND sc.at < dy.day_end"


def _rollup_sql(*, per_product, days_cte=""):
    """SQLite (small installations): one grain's rows, every visit expanded to the days it is open on."""
    product_column = "li.product_id" if per_product else "NULL"
    # Free-text line items (no product) belong to no product's rows.
    product_join = (
        "JOIN deals_dealproduct li ON li.deal_id = x.deal_id AND li.product_id IS NOT NULL" if per_product else ""
    )
    product_group = ", li.product_id" if per_product else ""
    visits = _OPEN_VISIT.format(day="dy.day", days_join=_DAYS_VISIT_JOIN)
    events = _EVENTS.format(day="dy.day", days_join=_DAYS_EVENT_JOIN)
    return f"""
        INSERT INTO analytics_dailysnapshot
            (day, pipeline_id, stage_id, owner_id, region, source, product_id,
             open_count, open_value, weighted_value, won_count, won_value, lost_count, lost_value)
        {days_cte}
        SELECT x.day, x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''),
               {product_column},
               SUM(x.open_count), SUM(x.open_value), SUM(x.weighted_value),
               SUM(x.won_count), SUM(x.won_value), SUM(x.lost_count), SUM(x.lost_value)
        FROM ({visits} UNION ALL {events}) x
        JOIN deals_deal d ON d.id = x.deal_id
        LEFT JOIN leads_organization o ON o.id = d.organization_id
        LEFT JOIN leads_lead l ON l.id = d.source_lead_id
        {product_join}
        GROUP BY x.day, x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''){product_group}
    """  # noqa: S608 (composed from constants only; every value is a bound parameter)


_PG_KEY = "pipeline_id, stage_id, owner_id, region, source, product_id"


def _pg_rollup_sql():
    """PostgreSQL: both grains (all deals, per product) in one statement, without expanding every
    visit to every day it is open on (30 million rows for twelve months at 100k deals).

    Each visit is a step of +1 (its value, its weighted value) on the local day it was entered and
    −1 on the day it was left; each won/lost row a step of 0 carrying the day's won/lost figures.
    The steps are read once and counted twice, with product NULL and once per line item. Summed per
    group and day, a running sum per group gives the open state from each change on, written for
    every day until the group's next change; the won/lost sums belong to the change's own day only.
    A group's day is written when deals are open at its end or it had a won/lost row, as the former
    `UNION ALL` of open state and events grouped by day did. Sums of `numeric` are exact in any
    order, so the rows are those of the per-day expansion (tested against the former per-day query).

    Region and source are grouped under the "C" collation (byte comparison without locale rules:
    the same groups and values, cheaper sorts). The rows are written in the order of the
    `(product, day)` index — the all-deals rows day by day, then each product's — so each index
    receives its entries at a few advancing places instead of all over (the cost of the inserts
    was their index maintenance in random order), and the trend's range of days lies together."""
    c_key = ", ".join(f"c.{k}" for k in _PG_KEY.split(", "))
    step_key = "pipeline_id, stage_id, owner_id, region, source"
    return f"""
        INSERT INTO analytics_dailysnapshot
            (day, {_PG_KEY}, open_count, open_value, weighted_value, won_count, won_value, lost_count, lost_value)
        WITH visits AS (
            SELECT GREATEST(CAST(%(first)s AS date), CAST(v.entered_at AT TIME ZONE %(tz)s AS date)) AS day_in,
                   LEAST(CAST(%(last)s AS date) + 1,
                         COALESCE(CAST(v.left_at AT TIME ZONE %(tz)s AS date), CAST(%(last)s AS date) + 1)) AS day_out,
                   v.deal_id, v.pipeline_id, v.stage_id, sc.owner_id, COALESCE(o.region, '') COLLATE "C" AS region,
                   COALESCE(l.source, '') COLLATE "C" AS source,
                   sc.value, sc.value * COALESCE(d.probability, st.probability) / 100.0 AS weighted
            FROM analytics_stagevisit v
            JOIN deals_stagechange sc ON sc.id = v.entered_change_id
            JOIN deals_deal d ON d.id = v.deal_id
            JOIN deals_stage st ON st.id = v.stage_id
            LEFT JOIN leads_organization o ON o.id = d.organization_id
            LEFT JOIN leads_lead l ON l.id = d.source_lead_id
            WHERE v.entered_at < %(last_end)s AND (v.left_at IS NULL OR v.left_at >= %(first_end)s)
        ),
        steps AS (
            SELECT deal_id, {step_key}, day_in AS day, 1 AS n, value, weighted,
                   0 AS won_count, 0 AS won_value, 0 AS lost_count, 0 AS lost_value
            FROM visits WHERE day_in < day_out
            UNION ALL
            SELECT deal_id, {step_key}, day_out, -1, -value, -weighted, 0, 0, 0, 0 FROM visits
            WHERE day_in < day_out AND day_out <= CAST(%(last)s AS date)
            UNION ALL
            SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, COALESCE(o.region, '') COLLATE "C",
                   COALESCE(l.source, '') COLLATE "C", CAST(sc.at AT TIME ZONE %(tz)s AS date), 0, 0, 0,
                   CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END,
                   CASE WHEN sc.kind = 'won' THEN sc.value ELSE 0 END,
                   CASE WHEN sc.kind = 'lost' THEN 1 ELSE 0 END,
                   CASE WHEN sc.kind = 'lost' THEN sc.value ELSE 0 END
            FROM deals_stagechange sc
            JOIN deals_deal d ON d.id = sc.deal_id
            LEFT JOIN leads_organization o ON o.id = d.organization_id
            LEFT JOIN leads_lead l ON l.id = d.source_lead_id
            WHERE sc.at >= %(first_start)s AND sc.at < %(last_end)s AND sc.kind IN ('won', 'lost')
        ),
        grained AS (
            SELECT s.*, CAST(NULL AS bigint) AS product_id FROM steps s
            UNION ALL
            SELECT s.*, li.product_id FROM steps s
            JOIN deals_dealproduct li ON li.deal_id = s.deal_id AND li.product_id IS NOT NULL
        ),
        changes AS (
            SELECT {_PG_KEY}, day,
                   SUM(SUM(n)) OVER w AS open_count, SUM(SUM(value)) OVER w AS open_value,
                   SUM(SUM(weighted)) OVER w AS weighted_value, LEAD(day) OVER w AS next_day,
                   SUM(won_count) AS won_count, SUM(won_value) AS won_value,
                   SUM(lost_count) AS lost_count, SUM(lost_value) AS lost_value
            FROM grained GROUP BY {_PG_KEY}, day
            WINDOW w AS (PARTITION BY {_PG_KEY} ORDER BY day)
        )
        SELECT c.day + g.n, {c_key},
               CASE WHEN c.open_count > 0 THEN c.open_count ELSE 0 END,
               CASE WHEN c.open_count > 0 THEN c.open_value ELSE 0 END,
               CASE WHEN c.open_count > 0 THEN c.weighted_value ELSE 0 END,
               CASE WHEN g.n = 0 THEN c.won_count ELSE 0 END, CASE WHEN g.n = 0 THEN c.won_value ELSE 0 END,
               CASE WHEN g.n = 0 THEN c.lost_count ELSE 0 END, CASE WHEN g.n = 0 THEN c.lost_value ELSE 0 END
        FROM changes c
        CROSS JOIN LATERAL generate_series(
            0, CASE WHEN c.open_count > 0 THEN COALESCE(c.next_day, CAST(%(last)s AS date) + 1) - c.day - 1 ELSE 0 END
        ) AS g(n)
        WHERE c.open_count > 0 OR c.won_count + c.lost_count > 0
        ORDER BY 7 NULLS FIRST, 1, 2, 3  -- product (all deals first), day, pipeline, stage
    """  # noqa: S608 (composed from constants only; every value is a bound parameter)


def _days_cte(days, params):
    """SQLite: `WITH days(day, day_start, day_end) AS (VALUES …)` with the local midnights
    computed in Python (the database has no time zone rules); the values go into `params`."""
    ops, rows = connection.ops, []
    for n, day in enumerate(days):
        params[f"d{n}"] = ops.adapt_datefield_value(day)
        params[f"s{n}"] = ops.adapt_datetimefield_value(local_midnight(day))
        params[f"e{n}"] = ops.adapt_datetimefield_value(local_midnight(day + timedelta(days=1)))
        rows.append(f"(%(d{n})s, %(s{n})s, %(e{n})s)")
    return "WITH days(day, day_start, day_end) AS (VALUES " + ", ".join(rows) + ")"


def snapshot_rollup_range(*, first_day, last_day, sync=True):
    """Replace the snapshot rows of the local days first_day … last_day (inclusive) from the
    history: one set-based `INSERT … SELECT` over the whole range for both grains (all deals; per
    product) on PostgreSQL, one per grain elsewhere, in one transaction. A backfill and a nightly run of one day are the same statement
    over a longer or a one-day range, so their rows are the same.

    Open state = each deal's last history row before the end of the day (its stage, owner and value
    then), read from the stage visits (synced first unless `sync=False`); events = the won/lost rows
    within the day. Region and lead source are the deal's current ones. Returns the number of rows
    written.
    """
    if last_day < first_day:
        raise ValueError(_("The last day must not be before the first day."))
    if sync:
        visits_sync()
    ops = connection.ops
    params = {
        "first": ops.adapt_datefield_value(first_day),
        "last": ops.adapt_datefield_value(last_day),
        "first_start": ops.adapt_datetimefield_value(local_midnight(first_day)),
        "first_end": ops.adapt_datetimefield_value(local_midnight(first_day + timedelta(days=1))),
        "last_end": ops.adapt_datetimefield_value(local_midnight(last_day + timedelta(days=1))),
        "tz": str(timezone.get_default_timezone()),
    }
    days_cte = ""
    if connection.vendor != "postgresql":
        count = (last_day - first_day).days + 1
        days_cte = _days_cte([first_day + timedelta(days=n) for n in range(count)], params)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Each visit's generate_series is estimated at 1,000 rows, so the planner thinks the
            # statement huge and JIT-compiles it: 3 of 3.3 s for one day at 10k deals. Off for this
            # transaction; and room for the GROUP BY's sort.
            sessions.settings_apply(cursor)
            # Two concurrent reruns of a day must not both insert: serialise per day (locks taken
            # in day order, so overlapping ranges wait rather than deadlock).
            cursor.execute(
                "SELECT COUNT(pg_advisory_xact_lock(%s, CAST(%s AS integer) + n)) FROM generate_series(0, %s) n",
                (6_001, first_day.toordinal(), (last_day - first_day).days),
            )
        DailySnapshot.objects.filter(day__gte=first_day, day__lte=last_day).delete()
        if connection.vendor == "postgresql":
            cursor.execute(_pg_rollup_sql(), params)
            written = cursor.rowcount
        else:
            for per_product in (False, True):
                cursor.execute(_rollup_sql(per_product=per_product, days_cte=days_cte), params)
                written += cursor.rowcount
    if last_day > first_day and connection.vendor == "postgresql":
        # A backfill rewrites much of the table: fresh planner statistics at once (the trend query
        # otherwise plans for the few rows the statistics knew, and sorts on disk).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DailySnapshot._meta.db_table}")
    return written


def snapshot_rollup_day(*, day, sync=True):
    """Replace the snapshot rows of `day` (a local date): the rollup over a one-day range."""
    return snapshot_rollup_range(first_day=day, last_day=day, sync=sync)


def snapshot_rollup_nightly(*, today=None):
    """The nightly job: yesterday's complete day (local time)."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    # The stage visits of the deals changed since yesterday began are rebuilt from their history
    # (not only those above the watermark): a stage change committed after a higher id was
    # already synced (two concurrent transactions) would otherwise wait for its deal's next change.
    visits_sync(since=local_midnight(yesterday))
    return snapshot_rollup_day(day=yesterday, sync=False)


def bottleneck_verdict(*, open_count, median_age_days, historical_median_days, average_daily_open):
    """(rule, explanation) by the rule in docs/metrics.md; rule '' when the stage is healthy."""
    if open_count < BOTTLENECK_MIN_OPEN:
        return "", ""
    if (
        historical_median_days
        and median_age_days is not None
        and median_age_days > BOTTLENECK_FACTOR * historical_median_days
    ):
        return StageHealth.Rule.AGE, _(
            "%(open)d open deals, median age %(age).1f days > 1.5 × usual %(usual).1f days"
        ) % {"open": open_count, "age": median_age_days, "usual": historical_median_days}
    if average_daily_open and open_count > BOTTLENECK_FACTOR * average_daily_open:
        return StageHealth.Rule.PILE_UP, _("%(open)d open deals > 1.5 × the 90-day daily average of %(average).1f") % {
            "open": open_count,
            "average": average_daily_open,
        }
    return "", ""


@transaction.atomic
def _owner_loads_write(*, window, snapshot_days):
    """Replace the per-owner 90-day average open counts (the board's pile-up baseline for
    the owners it shows): one GROUP BY, a delete and a bulk insert of stages × owners rows."""
    rows = window.values("stage_id", "owner_id").annotate(total=Sum("open_count")).filter(total__gt=0)
    loads = [
        StageOwnerLoad(
            stage_id=row["stage_id"], owner_id=row["owner_id"], average_daily_open=row["total"] / snapshot_days
        )
        for row in rows
        if snapshot_days
    ]
    StageOwnerLoad.objects.all().delete()
    StageOwnerLoad.objects.bulk_create(loads, batch_size=1000)


def stage_health_compute(*, now=None):
    """Write one StageHealth verdict per stage for the whole installation (every 15 minutes).

    Queries: stages, the visits' watermark (and their sync when the history grew), open ages, historical visits, snapshot averages, snapshot days, then one
    upsert per stage (a handful, not per deal).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    stages = list(Stage.objects.all())
    visits_sync()
    open_deals = Deal.objects.filter(status=Deal.Status.OPEN)
    ages = time_in_stage.open_ages(deals=open_deals, stages=stages, now=now)
    history = time_in_stage.visit_duration_stats(
        deals=None, start=now - timedelta(days=HISTORY_DAYS), end=now, sync=False
    )
    window = DailySnapshot.objects.filter(
        product__isnull=True, day__gte=today - timedelta(days=PILE_UP_DAYS), day__lt=today
    )
    totals = dict(window.values("stage_id").annotate(total=Sum("open_count")).values_list("stage_id", "total"))
    snapshot_days = window.values("day").distinct().count()
    _owner_loads_write(window=window, snapshot_days=snapshot_days)
    flagged = []
    for stage in stages:
        stage_ages = ages.get(stage.pk, [])
        median_age = base.days_from_seconds(base.percentile(stage_ages, 0.5))
        completed, median, _p75 = history.get(stage.pk, (0, None, None))
        usual = base.days_from_seconds(median)
        average = (totals.get(stage.pk, 0) / snapshot_days) if snapshot_days else None
        rule, explanation = bottleneck_verdict(
            open_count=len(stage_ages),
            median_age_days=median_age,
            historical_median_days=usual,
            average_daily_open=average,
        )
        StageHealth.objects.update_or_create(
            stage=stage,
            defaults={
                "is_bottleneck": bool(rule),
                "rule": rule,
                "explanation": explanation,
                "numbers": {
                    "open_count": len(stage_ages),
                    "median_age_days": median_age,
                    "historical_median_days": usual,
                    "throughput_per_week": round(completed * 7 / HISTORY_DAYS, 1),
                    "average_daily_open": None if average is None else round(average, 1),
                    "snapshot_days": snapshot_days,
                },
                "age_limit": timedelta(days=usual * BOTTLENECK_FACTOR) if usual else None,
                "computed_at": now,
            },
        )
        if rule:
            flagged.append(stage)
    return flagged
