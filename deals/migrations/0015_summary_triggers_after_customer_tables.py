"""SQLite only: the deal summary's triggers again, after every migration that may rebuild
`leads_organization` (customers/0002, 0003 rebuild it to add columns; a rebuilt table loses its
triggers). Which of the customers and deals migrations runs first depends on the dependency graph
of all apps, and a new app's migration can change that order: this migration runs after both, so
the triggers exist whatever the order was. On PostgreSQL columns are added in place and triggers
stay."""

from django.db import migrations

from deals import summary_sql


def summary_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        summary_sql.uninstall(schema_editor)
        summary_sql.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0014_deal_tags"),
        ("customers", "0005_contact_language"),
    ]

    operations = [migrations.RunPython(summary_triggers_again, migrations.RunPython.noop, elidable=False)]
