"""The global search's PostgreSQL side: pg_trgm, the IMMUTABLE `search_fold(text)` (the SQL twin
of search/fold.py) and the GIN indexes that the search's queries use (docs/search.md).

The indexes are on other apps' tables but are created here: their expressions call the search
app's function and exist only for its queries, and the owning apps (customers, leads, deals,
activities) sit below search in the dependency line and know nothing of it. Each expression must
stay exactly the one in search/documents.py, or PostgreSQL will not use the index
(tests/search/test_postgres_search.py checks the plans).

On SQLite every step is a no-op; the fallback search calls the Python fold (search/apps.py).
The extension is left in place when the migration is reversed: other databases objects may use it.
"""

from django.db import migrations

FOLD = (
    "replace(replace(replace(translate(replace(lower($1), 'ß', 'ss'), "
    "'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿźżž', "
    "'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzz'), 'ae', 'a'), 'oe', 'o'), 'ue', 'u')"
)

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE OR REPLACE FUNCTION search_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
    f"AS $$ SELECT {FOLD} $$",
    # Names and e-mail addresses: trigrams of the folded text (typos, umlauts, parts of words), each
    # twice. GIN answers "which rows match" fast, also when few or none do; GiST can return the
    # matches nearest first (ORDER BY … <->> query LIMIT n), so a name that thousands of rows share
    # costs a few index pages instead of ranking them all (docs/search.md has the measurements).
    *(
        f"CREATE INDEX IF NOT EXISTS search_{name}_{method} ON {table} "
        f"USING {method} (search_fold({expression}) {method}_trgm_ops{options})"
        for name, table, expression in (
            ("organization", "leads_organization", "name || ' ' || email_domain || ' ' || city"),
            ("contact", "leads_contact", "first_name || ' ' || last_name || ' ' || email"),
            ("lead", "leads_lead", "first_name || ' ' || last_name || ' ' || company_name || ' ' || email"),
            ("deal", "deals_deal", "title"),
        )
        for method, options in (("gin", ""), ("gist", "(siglen=64)"))
    ),
    # Words: German and English full-text search (stems, stop words) over activity subjects and notes.
    "CREATE INDEX IF NOT EXISTS search_activity_fts ON activities_activity USING gin (("
    "to_tsvector('german'::regconfig, subject || ' ' || note) "
    "|| to_tsvector('english'::regconfig, subject || ' ' || note)))",
]

BACKWARD = [
    "DROP INDEX IF EXISTS search_activity_fts",
    *(
        f"DROP INDEX IF EXISTS search_{name}_{method}"
        for name in ("organization", "contact", "lead", "deal")
        for method in ("gin", "gist")
    ),
    "DROP FUNCTION IF EXISTS search_fold(text)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_organization_contact_details"),
        ("leads", "0007_organization_contact_to_customers"),
        ("deals", "0011_deal_follow_up_origin"),
        ("activities", "0004_rule_subject_placeholders"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
