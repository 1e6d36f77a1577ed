"""Writes of the analytics app: the nightly snapshot rollup and the bottleneck verdicts.

The rollup is set-based SQL: one `INSERT … SELECT … GROUP BY` per day and grain (all
deals; per product), never a Python loop over deals. Rerunning a day deletes and
rewrites its rows in one transaction, so a backfill equals the nightly runs.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import selectors
from analytics.filters import local_midnight
from analytics.models import DailySnapshot
from analytics.visits import visits_sync
from deals.models import Deal, Stage, StageHealth, StageOwnerLoad

BOTTLENECK_MIN_OPEN = StageHealth.MIN_OPEN
BOTTLENECK_FACTOR = StageHealth.FACTOR
HISTORY_DAYS = 182  # "last 6 months" of completed visits
PILE_UP_DAYS = 90

_STATE_AT_END = """
    SELECT s.deal_id, s.pipeline_id, s.to_stage_id AS stage_id, s.owner_id,
           1 AS open_count, s.value AS open_value,
           s.value * COALESCE(d.probability, st.probability) / 100.0 AS weighted_value,
           0 AS won_count, 0 AS won_value, 0 AS lost_count, 0 AS lost_value
    FROM (SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, sc.value, sc.to_status,
                 ROW_NUMBER() OVER (PARTITION BY sc.deal_id ORDER BY sc.at DESC, sc.id DESC) AS rn
          FROM deals_stagechange sc WHERE sc.at < %s) s
    JOIN deals_deal d ON d.id = s.deal_id
    JOIN deals_stage st ON st.id = s.to_stage_id
    WHERE s.rn = 1 AND s.to_status = 'open'
"""
_EVENTS_OF_DAY = """
    SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, 0, 0, 0,
           CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'won' THEN sc.value ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN sc.value ELSE 0 END
    FROM deals_stagechange sc
    WHERE sc.at >= %s AND sc.at < %s AND sc.kind IN ('won', 'lost')
"""


def _rollup_sql(*, per_product):
    product_column = "li.product_id" if per_product else "NULL"
    product_join = "JOIN deals_dealproduct li ON li.deal_id = x.deal_id" if per_product else ""
    product_group = ", li.product_id" if per_product else ""
    return f"""
        INSERT INTO analytics_dailysnapshot
            (day, pipeline_id, stage_id, owner_id, region, source, product_id,
             open_count, open_value, weighted_value, won_count, won_value, lost_count, lost_value)
        SELECT %s, x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''),
               {product_column},
               SUM(x.open_count), SUM(x.open_value), SUM(x.weighted_value),
               SUM(x.won_count), SUM(x.won_value), SUM(x.lost_count), SUM(x.lost_value)
        FROM ({_STATE_AT_END} UNION ALL {_EVENTS_OF_DAY}) x
        JOIN deals_deal d ON d.id = x.deal_id
        LEFT JOIN leads_organization o ON o.id = d.organization_id
        LEFT JOIN leads_lead l ON l.id = d.source_lead_id
        {product_join}
        GROUP BY x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''){product_group}
    """  # noqa: S608 (composed from constants only; every value is a bound parameter)


def snapshot_rollup_day(*, day):
    """Replace the snapshot rows of `day` (a local date) from the StageChange history.

    Open state = each deal's last history row before the end of the day (its stage, owner
    and value then); events = the won/lost rows within the day. Region and lead source are
    the deal's current ones. Returns the number of rows written.
    """
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    ops = connection.ops
    params = (
        ops.adapt_datefield_value(day),
        ops.adapt_datetimefield_value(end),
        ops.adapt_datetimefield_value(start),
        ops.adapt_datetimefield_value(end),
    )
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two concurrent reruns of one day must not both insert: serialise per day.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (6_001, day.toordinal()))
        DailySnapshot.objects.filter(day=day).delete()
        for per_product in (False, True):
            cursor.execute(_rollup_sql(per_product=per_product), params)
            written += cursor.rowcount
    return written


def snapshot_rollup_range(*, first_day, last_day):
    """Backfill: the same per-day rollup for every day from first_day to last_day (inclusive)."""
    if last_day < first_day:
        raise ValueError(_("The last day must not be before the first day."))
    day, written = first_day, 0
    while day <= last_day:
        written += snapshot_rollup_day(day=day)
        day += timedelta(days=1)
    return written


def snapshot_rollup_nightly(*, today=None):
    """The nightly job: yesterday's complete day (local time)."""
    today = today or timezone.localdate()
    # The materialized stage visits, rebuilt from the whole history once a night (seconds at 100k
    # deals): a stage change committed after a higher id was already synced (two concurrent
    # transactions) would otherwise wait for its deal's next change.
    visits_sync(rebuild=True)
    return snapshot_rollup_day(day=today - timedelta(days=1))


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
    ages = selectors.open_ages(deals=open_deals, stages=stages, now=now)
    history = selectors.visit_duration_stats(deals=None, start=now - timedelta(days=HISTORY_DAYS), end=now, sync=False)
    window = DailySnapshot.objects.filter(
        product__isnull=True, day__gte=today - timedelta(days=PILE_UP_DAYS), day__lt=today
    )
    totals = dict(window.values("stage_id").annotate(total=Sum("open_count")).values_list("stage_id", "total"))
    snapshot_days = window.values("day").distinct().count()
    _owner_loads_write(window=window, snapshot_days=snapshot_days)
    flagged = []
    for stage in stages:
        stage_ages = ages.get(stage.pk, [])
        median_age = selectors.days_from_seconds(selectors.percentile(stage_ages, 0.5))
        completed, median, _p75 = history.get(stage.pk, (0, None, None))
        usual = selectors.days_from_seconds(median)
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
