"""PostgreSQL settings for the analytics app's large statements (the rollup, a dashboard computed
afresh), for their transaction only (`set_config(…, true)` = `SET LOCAL`, one query).

- `jit = off`: the planner's estimates for these statements (each `generate_series` counts as 1,000
  rows, large joins over the history) cross `jit_above_cost`, and compiling took longer than the
  query ran (2.9 of 3.3 s for one day's rollup at 10k deals; 0.4–0.7 s per dashboard query).
- `work_mem = 64MB`: the percentile and GROUP BY sorts stay in memory instead of spilling to disk.
"""

from contextlib import contextmanager

from django.db import connection, transaction

SETTINGS_SQL = "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"


def settings_apply(cursor):
    """Within a transaction on PostgreSQL: the settings until it ends; elsewhere nothing."""
    if connection.vendor == "postgresql":
        cursor.execute(SETTINGS_SQL)


@contextmanager
def analytical_transaction():
    """A transaction with the settings on PostgreSQL (no savepoint inside an outer one); nothing
    elsewhere."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            settings_apply(cursor)
        yield
