from django.db import migrations

from deals.defaults import describe_default_stages


def describe(apps, schema_editor):
    describe_default_stages(apps.get_model("deals", "Pipeline"), apps.get_model("deals", "Stage"))


class Migration(migrations.Migration):
    dependencies = [("deals", "0015_summary_triggers_after_customer_tables")]

    operations = [migrations.RunPython(describe, migrations.RunPython.noop)]
