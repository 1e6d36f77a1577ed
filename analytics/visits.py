"""The materialized stage visits (analytics.StageVisit), kept in step with the StageChange history.

`visits_sync()` is incremental and set-based: the StageChange rows above the watermark name the
deals whose history grew; their visits are deleted and rebuilt from their whole history with one
`INSERT … SELECT` (window functions over those deals' rows only), so a row inserted with an older
`at` than rows already seen (bulk loads, the demo) is ordered by (at, id) exactly as a live window
over the history would order it. With an empty table (watermark 0), `rebuild=True`, or when a
stage moved to another pipeline, every visit is rebuilt with one statement.

A visit (docs/metrics.md, as the dashboard's queries always read it): every history row that
leaves the deal open (`to_status = 'open'`) opens a visit of its `to_stage`, which lasts until the
deal's next history row of any kind (moved, won, lost, reopened) in (at, id) order.

Nothing stored depends on the stage orders: `later_stages` is the set of stages of the pipeline the
deal is open in at or after the visit, as the bits of their `StageSlot`s, and the funnel compares it
with the stages above the visit's stage at the moment it reads. Reordering stages rebuilds nothing.
"""

from collections import defaultdict

from django.db import connection, transaction

from analytics.models import StageSlot, StageVisit, VisitSync
from deals.models import MAX_STAGES_PER_PIPELINE, Stage

_LOCK = (6_002, 0)
_ENTERING = "(sc.kind IN ('created', 'reopened') OR (sc.kind = 'moved' AND sc.from_stage_id <> sc.to_stage_id))"


def bit_sql(slot):
    """The bit of a stage slot as a 64-bit integer expression (0 for a stage without a slot)."""
    return f"(CASE WHEN {slot} IS NULL THEN 0 ELSE CAST(1 AS BIGINT) << {slot} END)"


def _insert_sql(where):
    visits = connection.ops.quote_name(StageVisit._meta.db_table)
    slots = connection.ops.quote_name(StageSlot._meta.db_table)
    return f"""
        INSERT INTO {visits}
            (deal_id, pipeline_id, stage_id, entering, entered_at, entered_change_id, left_at, left_change_id,
             won_later, later_stages, previous_entry_at, next_visit_at)
        SELECT h.deal_id, h.pipeline_id, h.to_stage_id, h.entering, h.at, h.id, h.next_at, h.next_id,
               h.won_later = 1,
               -- Each stage's bit counts once, on the deal's last open row in that stage: the sum of
               -- the bits from this row on is the set of stages the deal is open in from here on.
               CAST(SUM(CASE WHEN h.next_visit_at IS NULL THEN h.bit ELSE 0 END) OVER (
                   PARTITION BY h.deal_id, h.stage_pipeline_id ORDER BY h.at, h.id
                   ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS BIGINT),
               CASE WHEN h.entering THEN h.previous_entry_at END, h.next_visit_at
        FROM (
            SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.to_status, sc.at, sc.id,
                   st.pipeline_id AS stage_pipeline_id, {bit_sql("ss.slot")} AS bit,
                   CASE WHEN {_ENTERING} THEN TRUE ELSE FALSE END AS entering,
                   -- Within the deal's entering rows (resp. its open rows) of the same stage:
                   LAG(sc.at) OVER (
                       PARTITION BY sc.deal_id, sc.to_stage_id,
                                    CASE WHEN sc.to_status = 'open' AND {_ENTERING} THEN 1 ELSE 0 END
                       ORDER BY sc.at, sc.id) AS previous_entry_at,
                   LEAD(sc.at) OVER (
                       PARTITION BY sc.deal_id, sc.to_stage_id, sc.to_status ORDER BY sc.at, sc.id) AS next_visit_at,
                   LEAD(sc.at) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS next_at,
                   LEAD(sc.id) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS next_id,
                   MAX(CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END) OVER (
                       PARTITION BY sc.deal_id ORDER BY sc.at, sc.id
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS won_later
            FROM deals_stagechange sc
            JOIN deals_stage st ON st.id = sc.to_stage_id
            LEFT JOIN {slots} ss ON ss.stage_id = sc.to_stage_id
            {where}
        ) h
        WHERE h.to_status = 'open'
    """  # noqa: S608 (constants only; every value is a bound parameter)


def _state():
    """(watermark, newest StageChange id, stages without a slot in their pipeline) in one query;
    the watermark is None without a row."""
    table = connection.ops.quote_name(VisitSync._meta.db_table)
    slots = connection.ops.quote_name(StageSlot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT last_change_id FROM {table} WHERE id = 1), (SELECT MAX(id) FROM deals_stagechange), "  # noqa: S608 (table names from the models)
            f"(SELECT COUNT(*) FROM deals_stage st LEFT JOIN {slots} ss ON ss.stage_id = st.id "
            "WHERE ss.stage_id IS NULL OR ss.pipeline_id <> st.pipeline_id)"
        )
        last, newest, unslotted = cursor.fetchone()
    return last, newest or 0, unslotted


def slots_assign():
    """Give every stage without a slot the lowest one free in its pipeline; returns whether a stage
    had changed pipeline (its bit sits in visits of the other pipeline: they need a rebuild).

    Slots of deleted stages are free again (their rows went with the stage, and such a stage had
    no history). A pipeline with every slot taken leaves a new stage without one (its bit is 0:
    the funnel would not see deals advance into it, and every sync looks for a slot again: a few
    queries more); model validation keeps pipelines below that.
    """
    stages = list(Stage.objects.order_by("id").values_list("id", "pipeline_id"))
    slots = {
        stage: (pipeline, slot) for stage, pipeline, slot in StageSlot.objects.values_list("stage", "pipeline", "slot")
    }
    moved = [stage for stage, pipeline in stages if stage in slots and slots[stage][0] != pipeline]
    if moved:
        StageSlot.objects.filter(stage__in=moved).delete()
        for stage in moved:
            del slots[stage]
    taken = defaultdict(set)
    for pipeline, slot in slots.values():
        taken[pipeline].add(slot)
    new = []
    for stage, pipeline in stages:
        if stage in slots:
            continue
        free = next((n for n in range(MAX_STAGES_PER_PIPELINE) if n not in taken[pipeline]), None)
        if free is not None:
            taken[pipeline].add(free)
            new.append(StageSlot(stage_id=stage, pipeline_id=pipeline, slot=free))
    StageSlot.objects.bulk_create(new)
    return bool(moved)


def visits_sync(*, rebuild=False, since=None):
    """Bring StageVisit up to the newest StageChange; returns the number of visits written.

    `since` (a datetime): also rebuild the visits of every deal with a history row at or after it
    (the nightly job's catch-up for rows committed out of id order), through the index on `at`.

    Nothing to do (the usual case, also after a reorder): one query. Safe to run concurrently: on
    PostgreSQL the work runs under a transaction-level advisory lock and re-reads the state inside
    it. A new stage gets its slot (no visit changes); a stage moved to another pipeline rebuilds
    every visit.
    """
    last, newest, unslotted = _state()
    if not rebuild and since is None and last is not None and last >= newest and not unslotted:
        return 0
    visits = connection.ops.quote_name(StageVisit._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _LOCK)
            last, newest, unslotted = _state()
            if not rebuild and since is None and last is not None and last >= newest and not unslotted:
                return 0
        if unslotted and slots_assign():
            rebuild = True
        written = 0
        if rebuild or not last:
            cursor.execute(f"DELETE FROM {visits}")  # noqa: S608
            cursor.execute(_insert_sql(""))
            written, full = cursor.rowcount, True
        elif last < newest or since is not None:
            grown = "SELECT DISTINCT deal_id FROM deals_stagechange WHERE id > %s"
            params = (last,)
            if since is not None:
                grown += " UNION SELECT deal_id FROM deals_stagechange WHERE at >= %s"
                params += (connection.ops.adapt_datetimefield_value(since),)
            cursor.execute(f"DELETE FROM {visits} WHERE deal_id IN ({grown})", params)  # noqa: S608
            cursor.execute(_insert_sql(f"WHERE sc.deal_id IN ({grown})"), params)
            written, full = cursor.rowcount, False
        else:
            full = False
        VisitSync.objects.update_or_create(pk=1, defaults={"last_change_id": newest})
        if full and connection.vendor == "postgresql":
            # A rewritten table: fresh planner statistics at once, not when autovacuum comes by.
            cursor.execute(f"ANALYZE {visits}")
    return written
