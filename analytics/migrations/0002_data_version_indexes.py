"""Indexes for the dashboard's data version (analytics.selectors.dashboard.data_version).

The version reads MAX(updated_at) of deals, leads and activities; without an index each MAX
scans its table. The tables belong to other apps, so the indexes are created here with plain
SQL that SQLite and PostgreSQL both understand.
"""

from django.db import migrations

INDEXES = [
    ("analytics_deal_updated_at", "deals_deal", "updated_at"),
    ("analytics_lead_updated_at", "leads_lead", "updated_at"),
    ("analytics_activity_updated_at", "activities_activity", "updated_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("deals", "0003_stage_health"),
        ("leads", "0003_settings_rows"),
        ("activities", "0003_default_follow_up_rules"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, column in INDEXES
    ]
