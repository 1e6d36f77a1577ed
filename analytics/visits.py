"""The materialized stage visits (analytics.StageVisit), kept in step with the StageChange history.

`visits_sync()` is incremental and set-based: the StageChange rows above the watermark name the
deals whose history grew; their visits are deleted and rebuilt from their whole history with one
`INSERT … SELECT` (window functions over those deals' rows only), so a row inserted with an older
`at` than rows already seen (bulk loads, the demo) is ordered by (at, id) exactly as a live window
over the history would order it. With an empty table (watermark 0), `rebuild=True`, or when the
stage orders changed since the last sync, every visit is rebuilt with one statement.

A visit (docs/metrics.md, as the dashboard's queries always read it): every history row that
leaves the deal open (`to_status = 'open'`) opens a visit of its `to_stage`, which lasts until the
deal's next history row of any kind (moved, won, lost, reopened) in (at, id) order.
"""

from django.db import connection, transaction

from analytics.models import StageVisit, VisitSync
from deals.models import Stage

_LOCK = (6_002, 0)
_ENTERING = "(sc.kind IN ('created', 'reopened') OR (sc.kind = 'moved' AND sc.from_stage_id <> sc.to_stage_id))"


def stage_key(stages=None):
    """The stage orders `later_max_order` depends on, as a string (one query without `stages`)."""
    if stages is None:
        rows = Stage.objects.order_by("id").values_list("id", "pipeline_id", "order")
    else:
        rows = sorted((s.pk, s.pipeline_id, s.order) for s in stages)
    return ";".join(f"{pk}:{pipeline}:{order}" for pk, pipeline, order in rows)


def _same_orders(stored, current):
    """Whether every stage known to both keys kept its pipeline and order (a new stage has no
    visits yet, a deleted one none left: neither changes a stored `later_max_order`)."""
    if stored == current:
        return True
    old = dict(part.split(":", 1) for part in stored.split(";") if part)
    new = dict(part.split(":", 1) for part in current.split(";") if part)
    return all(new[pk] == value for pk, value in old.items() if pk in new)


def _insert_sql(where):
    visits = connection.ops.quote_name(StageVisit._meta.db_table)
    order = connection.ops.quote_name("order")
    return f"""
        INSERT INTO {visits}
            (deal_id, pipeline_id, stage_id, entering, entered_at, entered_change_id, left_at, left_change_id,
             won_later, later_max_order, previous_entry_at, next_visit_at)
        SELECT h.deal_id, h.pipeline_id, h.to_stage_id, h.entering, h.at, h.id, h.next_at, h.next_id,
               h.won_later = 1, h.later_max_order, CASE WHEN h.entering THEN h.previous_entry_at END, h.next_visit_at
        FROM (
            SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.to_status, sc.at, sc.id,
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
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS won_later,
                   MAX(CASE WHEN sc.to_status = 'open' THEN st.{order} END) OVER (
                       PARTITION BY sc.deal_id, st.pipeline_id ORDER BY sc.at, sc.id
                       ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS later_max_order
            FROM deals_stagechange sc JOIN deals_stage st ON st.id = sc.to_stage_id
            {where}
        ) h
        WHERE h.to_status = 'open'
    """  # noqa: S608 (constants only; every value is a bound parameter)


def _state():
    """(watermark, stage key, newest StageChange id) in one query; (None, '', max) without a row."""
    table = connection.ops.quote_name(VisitSync._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT last_change_id FROM {table} WHERE id = 1), "  # noqa: S608 (table name from the model)
            f"(SELECT stage_key FROM {table} WHERE id = 1), (SELECT MAX(id) FROM deals_stagechange)"
        )
        last, key, newest = cursor.fetchone()
    return last, key or "", newest or 0


def visits_sync(*, stages=None, rebuild=False):
    """Bring StageVisit up to the newest StageChange; returns the number of visits written.

    Nothing to do (the usual case): one query. Safe to run concurrently: on PostgreSQL the work
    runs under a transaction-level advisory lock and re-reads the watermark inside it. A changed
    stage order (or pipeline) rebuilds every visit: `later_max_order` holds the orders of the
    stored key; a new stage alone does not.
    """
    key = stage_key(stages)
    last, stored_key, newest = _state()
    if not rebuild and last is not None and last >= newest and _same_orders(stored_key, key):
        return 0
    visits = connection.ops.quote_name(StageVisit._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _LOCK)
            last, stored_key, newest = _state()
            if not rebuild and last is not None and last >= newest and _same_orders(stored_key, key):
                return 0
        if rebuild or not last or not _same_orders(stored_key, key):
            cursor.execute(f"DELETE FROM {visits}")  # noqa: S608
            cursor.execute(_insert_sql(""))
            full = True
        else:
            grown = "SELECT DISTINCT deal_id FROM deals_stagechange WHERE id > %s"
            cursor.execute(f"DELETE FROM {visits} WHERE deal_id IN ({grown})", (last,))  # noqa: S608
            cursor.execute(_insert_sql(f"WHERE sc.deal_id IN ({grown})"), (last,))
            full = False
        written = cursor.rowcount
        VisitSync.objects.update_or_create(pk=1, defaults={"last_change_id": newest, "stage_key": key})
        if full and connection.vendor == "postgresql":
            # A rewritten table: fresh planner statistics at once, not when autovacuum comes by.
            cursor.execute(f"ANALYZE {visits}")
    return written
