from django.db import migrations

from activities.defaults import ensure_default_rules


def create_default_rules(apps, schema_editor):
    ensure_default_rules(apps.get_model("activities", "FollowUpRule"), apps.get_model("deals", "Stage"))


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_outbox_digest_firings"),
        ("deals", "0002_default_pipelines"),
    ]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
