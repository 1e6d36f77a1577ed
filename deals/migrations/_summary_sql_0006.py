"""The deal summary's first triggers, per (stage, owner, status), as the migration
`deals.0006_deal_summary` installed them; `deals.0009_deal_summary_region` replaces them with
the ones of deals/summary_sql.py (which add the organization's region to the key).

PostgreSQL: statement-level AFTER triggers with transition tables. Each statement (one
move, a bulk_create of 5,000 deals, a QuerySet.update over many deals) adds its delta per
(stage, owner, status) with one `INSERT … ON CONFLICT DO UPDATE SET n = s.n + excluded.n`,
in key order, so that two concurrent writers never lose an increment and always lock the
summary rows in the same order (no deadlock between two moves in opposite directions).

SQLite (one writer at a time): row-level triggers, `INSERT OR IGNORE` of the new key then
`UPDATE … SET n = n ± 1`. The old key's row exists (its deal was counted in it), so it is
only updated: a test database's flush, which deletes table by table without a TRUNCATE,
then creates no row that points at users or stages already deleted.

Money is summed in cents (integers) so that SQLite's sums stay exact; the weighted sum is
kept as its two parts (values without an override, values × override) so that a stage's
probability is applied when the board reads it. The statements are constants: nothing
from a request or the database reaches their text.
"""

# --- PostgreSQL ------------------------------------------------------------------------------

# One transition table's rows as signed deltas per deal: +1 for `new_rows`, -1 for `old_rows`.
_PG_DELTA = """
        SELECT stage_id, owner_id, status, {sign}1 AS n, {sign}value * 100 AS v,
            {sign}(CASE WHEN probability IS NULL THEN value * 100 ELSE 0 END) AS p,
            {sign}(CASE WHEN probability IS NULL THEN 0 ELSE value * 100 * probability END) AS o
        FROM {table}"""

# The deltas summed per key and added to the summary, in key order.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deals_dealsummary AS s
        (stage_id, owner_id, status, n, value_cents, plain_cents, override_weighted, change_count)
    SELECT stage_id, owner_id, status, sum(n), sum(v), sum(p), sum(o), count(*)
    FROM ({deltas}
    ) AS delta
    GROUP BY stage_id, owner_id, status
    ORDER BY stage_id, owner_id, status
    ON CONFLICT (stage_id, owner_id, status) DO UPDATE SET
        n = s.n + excluded.n,
        value_cents = s.value_cents + excluded.value_cents,
        plain_cents = s.plain_cents + excluded.plain_cents,
        override_weighted = s.override_weighted + excluded.override_weighted,
        change_count = s.change_count + excluded.change_count;
    RETURN NULL;
END
$$
"""


def _pg_function(name, *tables):
    """The trigger function `name` adding the rows of the transition `tables` (new_rows count
    +1, old_rows -1)."""
    deltas = "\n        UNION ALL".join(
        _PG_DELTA.format(sign="" if table == "new_rows" else "-", table=table) for table in tables
    )
    return _PG_FUNCTION.format(name=name, deltas=deltas)


DEALS_SUMMARY_INSERT = _pg_function("deals_summary_insert", "new_rows")
DEALS_SUMMARY_UPDATE = _pg_function("deals_summary_update", "new_rows", "old_rows")
DEALS_SUMMARY_DELETE = _pg_function("deals_summary_delete", "old_rows")

POSTGRESQL_INSTALL = [
    DEALS_SUMMARY_INSERT,
    DEALS_SUMMARY_UPDATE,
    DEALS_SUMMARY_DELETE,
    "CREATE TRIGGER deals_summary_insert AFTER INSERT ON deals_deal REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_insert()",
    "CREATE TRIGGER deals_summary_update AFTER UPDATE ON deals_deal "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_update()",
    "CREATE TRIGGER deals_summary_delete AFTER DELETE ON deals_deal REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_delete()",
]

POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS deals_summary_insert ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_summary_update ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_summary_delete ON deals_deal",
    "DROP FUNCTION IF EXISTS deals_summary_insert()",
    "DROP FUNCTION IF EXISTS deals_summary_update()",
    "DROP FUNCTION IF EXISTS deals_summary_delete()",
]

# --- SQLite ----------------------------------------------------------------------------------

# The summary row of the NEW deal's key, made if missing (the OLD key's row always exists).
_SQLITE_ENSURE_NEW = """
    INSERT OR IGNORE INTO deals_dealsummary
        (stage_id, owner_id, status, n, value_cents, plain_cents, override_weighted, change_count)
        VALUES (NEW.stage_id, NEW.owner_id, NEW.status, 0, 0, 0, 0, 0);"""

# Adds (sign +) the NEW deal to, or removes (sign -) the OLD deal from, its key's row.
_SQLITE_APPLY = """
    UPDATE deals_dealsummary SET
        n = n {sign} 1,
        value_cents = value_cents {sign} CAST(ROUND({row}.value * 100) AS INTEGER),
        plain_cents = plain_cents {sign} (CASE WHEN {row}.probability IS NULL THEN CAST(ROUND({row}.value * 100) AS INTEGER) ELSE 0 END),
        override_weighted = override_weighted
            {sign} (CASE WHEN {row}.probability IS NULL THEN 0 ELSE CAST(ROUND({row}.value * 100) AS INTEGER) * {row}.probability END),
        change_count = change_count + 1
    WHERE stage_id = {row}.stage_id AND owner_id = {row}.owner_id AND status = {row}.status;"""
_SQLITE_ADD_NEW = _SQLITE_ENSURE_NEW + _SQLITE_APPLY.format(sign="+", row="NEW")
_SQLITE_REMOVE_OLD = _SQLITE_APPLY.format(sign="-", row="OLD")


def _sqlite_trigger(name, event, body):
    return f"\nCREATE TRIGGER {name} AFTER {event} ON deals_deal BEGIN{body}\nEND\n"


SQLITE_INSTALL = [
    _sqlite_trigger("deals_summary_insert", "INSERT", _SQLITE_ADD_NEW),
    _sqlite_trigger("deals_summary_update", "UPDATE", _SQLITE_REMOVE_OLD + _SQLITE_ADD_NEW),
    _sqlite_trigger("deals_summary_delete", "DELETE", _SQLITE_REMOVE_OLD),
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS deals_summary_insert",
    "DROP TRIGGER IF EXISTS deals_summary_update",
    "DROP TRIGGER IF EXISTS deals_summary_delete",
]

# The summary of the deals as they are (the migration's starting point).
BACKFILL = """
INSERT INTO deals_dealsummary
    (stage_id, owner_id, status, n, value_cents, plain_cents, override_weighted, change_count)
SELECT stage_id, owner_id, status, COUNT(*),
    SUM(ROUND(value * 100)),
    SUM(CASE WHEN probability IS NULL THEN ROUND(value * 100) ELSE 0 END),
    SUM(CASE WHEN probability IS NULL THEN 0 ELSE ROUND(value * 100) * probability END),
    COUNT(*)
FROM deals_deal
GROUP BY stage_id, owner_id, status
"""


def install(schema_editor):
    statements = POSTGRESQL_INSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_INSTALL
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor):
    statements = POSTGRESQL_UNINSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_UNINSTALL
    for statement in statements:
        schema_editor.execute(statement, params=None)
