"""The triggers that keep `deals_dealsummary` (deals.models.DealSummary) in step with
`deals_deal` and `leads_organization`, and the SQL that fills it from the deals. Installed
by the migration `deals.0009_deal_summary_region`; docs/board.md "Totals and the poll token"
explains the design.

The key is (stage, owner, status, region), the region being the one of the deal's
organization ('' without one or without a region). Two kinds of write change a deal's key:
a write to the deal (triggers on deals_deal) and a change of its organization's region
(triggers on leads_organization, which move every deal of that organization from the old
region's rows to the new one's).

PostgreSQL: on deals, statement-level AFTER triggers with transition tables. Each statement
(one move, a bulk_create of 5,000 deals, a QuerySet.update over many deals) first takes a
share lock on the organizations of its old and new rows (so that it waits for, and then
sees, a concurrent change of their region, and such a change waits for it), then adds its
delta per key with one `INSERT … ON CONFLICT DO UPDATE SET n = s.n + excluded.n`, in key
order, so that two concurrent writers never lose an increment and always lock the summary
rows in the same order. On organizations, a row-level trigger fires only when the region
changes (the UPDATE holds the organization's row lock, so no deal of it is written meanwhile).

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

# One transition table's rows as signed deltas per deal: +1 for `new_rows`, -1 for `old_rows`,
# in the region their organization has now.
_PG_DELTA = """
        SELECT d.stage_id, d.owner_id, d.status, COALESCE(o.region, '') AS region, {sign}1 AS n,
            {sign}d.value * 100 AS v,
            {sign}(CASE WHEN d.probability IS NULL THEN d.value * 100 ELSE 0 END) AS p,
            {sign}(CASE WHEN d.probability IS NULL THEN 0 ELSE d.value * 100 * d.probability END) AS o
        FROM {table} AS d LEFT JOIN leads_organization AS o ON o.id = d.organization_id"""

# The deltas summed per key and added to the summary, in key order.
_PG_UPSERT = """
    INSERT INTO deals_dealsummary AS s
        (stage_id, owner_id, status, region, n, value_cents, plain_cents, override_weighted, change_count)
    SELECT stage_id, owner_id, status, region, sum(n), sum(v), sum(p), sum(o), count(*)
    FROM ({deltas}
    ) AS delta
    GROUP BY stage_id, owner_id, status, region
    ORDER BY stage_id, owner_id, status, region
    ON CONFLICT (stage_id, owner_id, status, region) DO UPDATE SET
        n = s.n + excluded.n,
        value_cents = s.value_cents + excluded.value_cents,
        plain_cents = s.plain_cents + excluded.plain_cents,
        override_weighted = s.override_weighted + excluded.override_weighted,
        change_count = s.change_count + excluded.change_count;"""

# A share lock on the organizations of the statement's deals, in id order, before reading
# their region: a concurrent region change commits first (and is then read) or waits.
_PG_LOCK = """
    PERFORM 1 FROM leads_organization
    WHERE id IN ({ids})
    ORDER BY id
    FOR SHARE;"""

_PG_ORGANIZATIONS = "SELECT organization_id FROM {table}"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{body}
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
    ids = " UNION ".join(_PG_ORGANIZATIONS.format(table=table) for table in tables)
    body = _PG_LOCK.format(ids=ids) + _PG_UPSERT.format(deltas=deltas)
    return _PG_FUNCTION.format(name=name, body=body)


DEALS_SUMMARY_INSERT = _pg_function("deals_summary_insert", "new_rows")
DEALS_SUMMARY_UPDATE = _pg_function("deals_summary_update", "new_rows", "old_rows")
DEALS_SUMMARY_DELETE = _pg_function("deals_summary_delete", "old_rows")

# An organization's deals leave the old region's rows and join the new region's.
_PG_REGION_DELTA = """
        SELECT stage_id, owner_id, status, {row}.region AS region, {sign}1 AS n,
            {sign}value * 100 AS v,
            {sign}(CASE WHEN probability IS NULL THEN value * 100 ELSE 0 END) AS p,
            {sign}(CASE WHEN probability IS NULL THEN 0 ELSE value * 100 * probability END) AS o
        FROM deals_deal WHERE organization_id = {row}.id"""
DEALS_SUMMARY_REGION = _PG_FUNCTION.format(
    name="deals_summary_region",
    body=_PG_UPSERT.format(
        deltas="\n        UNION ALL".join(
            [_PG_REGION_DELTA.format(sign="-", row="OLD"), _PG_REGION_DELTA.format(sign="", row="NEW")]
        )
    ),
)

POSTGRESQL_INSTALL = [
    DEALS_SUMMARY_INSERT,
    DEALS_SUMMARY_UPDATE,
    DEALS_SUMMARY_DELETE,
    DEALS_SUMMARY_REGION,
    "CREATE TRIGGER deals_summary_insert AFTER INSERT ON deals_deal REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_insert()",
    "CREATE TRIGGER deals_summary_update AFTER UPDATE ON deals_deal "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_update()",
    "CREATE TRIGGER deals_summary_delete AFTER DELETE ON deals_deal REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION deals_summary_delete()",
    "CREATE TRIGGER deals_summary_region AFTER UPDATE OF region ON leads_organization FOR EACH ROW "
    "WHEN (OLD.region IS DISTINCT FROM NEW.region) EXECUTE FUNCTION deals_summary_region()",
]

POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS deals_summary_insert ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_summary_update ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_summary_delete ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_summary_region ON leads_organization",
    "DROP FUNCTION IF EXISTS deals_summary_insert()",
    "DROP FUNCTION IF EXISTS deals_summary_update()",
    "DROP FUNCTION IF EXISTS deals_summary_delete()",
    "DROP FUNCTION IF EXISTS deals_summary_region()",
]

# --- SQLite ----------------------------------------------------------------------------------

_SQLITE_REGION = "COALESCE((SELECT region FROM leads_organization WHERE id = {row}.organization_id), '')"

# The summary row of the NEW deal's key, made if missing (the OLD key's row always exists).
_SQLITE_ENSURE_NEW = """
    INSERT OR IGNORE INTO deals_dealsummary
        (stage_id, owner_id, status, region, n, value_cents, plain_cents, override_weighted, change_count)
        VALUES (NEW.stage_id, NEW.owner_id, NEW.status, {region}, 0, 0, 0, 0, 0);"""

# Adds (sign +) the NEW deal to, or removes (sign -) the OLD deal from, its key's row.
_SQLITE_APPLY = """
    UPDATE deals_dealsummary SET
        n = n {sign} 1,
        value_cents = value_cents {sign} CAST(ROUND({row}.value * 100) AS INTEGER),
        plain_cents = plain_cents {sign} (CASE WHEN {row}.probability IS NULL THEN CAST(ROUND({row}.value * 100) AS INTEGER) ELSE 0 END),
        override_weighted = override_weighted
            {sign} (CASE WHEN {row}.probability IS NULL THEN 0 ELSE CAST(ROUND({row}.value * 100) AS INTEGER) * {row}.probability END),
        change_count = change_count + 1
    WHERE stage_id = {row}.stage_id AND owner_id = {row}.owner_id AND status = {row}.status
        AND region = {region};"""
_SQLITE_ADD_NEW = _SQLITE_ENSURE_NEW.format(region=_SQLITE_REGION.format(row="NEW")) + _SQLITE_APPLY.format(
    sign="+", row="NEW", region=_SQLITE_REGION.format(row="NEW")
)
_SQLITE_REMOVE_OLD = _SQLITE_APPLY.format(sign="-", row="OLD", region=_SQLITE_REGION.format(row="OLD"))

# An organization's deals, summed per (stage, owner, status), leave OLD.region's rows and
# join NEW.region's (made if missing).
_SQLITE_ORGANIZATION_DEALS = """(
        SELECT stage_id, owner_id, status, COUNT(*) AS n,
            SUM(CAST(ROUND(value * 100) AS INTEGER)) AS v,
            SUM(CASE WHEN probability IS NULL THEN CAST(ROUND(value * 100) AS INTEGER) ELSE 0 END) AS p,
            SUM(CASE WHEN probability IS NULL THEN 0 ELSE CAST(ROUND(value * 100) AS INTEGER) * probability END) AS o
        FROM deals_deal WHERE organization_id = NEW.id GROUP BY stage_id, owner_id, status
    )"""
_SQLITE_REGION_INSERT = """
    INSERT OR IGNORE INTO deals_dealsummary
        (stage_id, owner_id, status, region, n, value_cents, plain_cents, override_weighted, change_count)
        SELECT stage_id, owner_id, status, NEW.region, 0, 0, 0, 0, 0 FROM {deals};"""
_SQLITE_REGION_UPDATE = """
    UPDATE deals_dealsummary SET
        n = deals_dealsummary.n {sign} d.n,
        value_cents = deals_dealsummary.value_cents {sign} d.v,
        plain_cents = deals_dealsummary.plain_cents {sign} d.p,
        override_weighted = deals_dealsummary.override_weighted {sign} d.o,
        change_count = deals_dealsummary.change_count + d.n
    FROM {deals} AS d
    WHERE deals_dealsummary.stage_id = d.stage_id AND deals_dealsummary.owner_id = d.owner_id
        AND deals_dealsummary.status = d.status AND deals_dealsummary.region = {row}.region;"""
_SQLITE_REGION_MOVE = (
    _SQLITE_REGION_INSERT.format(deals=_SQLITE_ORGANIZATION_DEALS)
    + _SQLITE_REGION_UPDATE.format(sign="-", row="OLD", deals=_SQLITE_ORGANIZATION_DEALS)
    + _SQLITE_REGION_UPDATE.format(sign="+", row="NEW", deals=_SQLITE_ORGANIZATION_DEALS)
)


def _sqlite_trigger(name, event, body, table="deals_deal", when=""):
    condition = f" FOR EACH ROW WHEN {when}" if when else ""
    return f"\nCREATE TRIGGER {name} AFTER {event} ON {table}{condition} BEGIN{body}\nEND\n"


SQLITE_INSTALL = [
    _sqlite_trigger("deals_summary_insert", "INSERT", _SQLITE_ADD_NEW),
    _sqlite_trigger("deals_summary_update", "UPDATE", _SQLITE_REMOVE_OLD + _SQLITE_ADD_NEW),
    _sqlite_trigger("deals_summary_delete", "DELETE", _SQLITE_REMOVE_OLD),
    _sqlite_trigger(
        "deals_summary_region",
        "UPDATE OF region",
        _SQLITE_REGION_MOVE,
        table="leads_organization",
        when="OLD.region IS NOT NEW.region",
    ),
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS deals_summary_insert",
    "DROP TRIGGER IF EXISTS deals_summary_update",
    "DROP TRIGGER IF EXISTS deals_summary_delete",
    "DROP TRIGGER IF EXISTS deals_summary_region",
]

# The summary of the deals as they are (the migration's starting point).
BACKFILL = """
INSERT INTO deals_dealsummary
    (stage_id, owner_id, status, region, n, value_cents, plain_cents, override_weighted, change_count)
SELECT d.stage_id, d.owner_id, d.status, COALESCE(o.region, ''), COUNT(*),
    SUM(ROUND(d.value * 100)),
    SUM(CASE WHEN d.probability IS NULL THEN ROUND(d.value * 100) ELSE 0 END),
    SUM(CASE WHEN d.probability IS NULL THEN 0 ELSE ROUND(d.value * 100) * d.probability END),
    COUNT(*)
FROM deals_deal AS d LEFT JOIN leads_organization AS o ON o.id = d.organization_id
GROUP BY d.stage_id, d.owner_id, d.status, COALESCE(o.region, '')
"""


def install(schema_editor):
    statements = POSTGRESQL_INSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_INSTALL
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor):
    statements = POSTGRESQL_UNINSTALL if schema_editor.connection.vendor == "postgresql" else SQLITE_UNINSTALL
    for statement in statements:
        schema_editor.execute(statement, params=None)
