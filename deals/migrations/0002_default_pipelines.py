from django.db import migrations

from deals.defaults import ensure_defaults


def create_defaults(apps, schema_editor):
    ensure_defaults(
        apps.get_model("deals", "Pipeline"), apps.get_model("deals", "Stage"), apps.get_model("deals", "LostReason")
    )


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
