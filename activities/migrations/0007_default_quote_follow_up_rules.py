from django.db import migrations

from activities.defaults import QUOTE_RULES, ensure_default_rules


def create_quote_rules(apps, schema_editor):
    """Only the new quote rules: a default rule an admin deleted before stays deleted."""
    ensure_default_rules(
        apps.get_model("activities", "FollowUpRule"), apps.get_model("deals", "Stage"), only=QUOTE_RULES
    )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0006_quote_triggers"),
    ]

    operations = [migrations.RunPython(create_quote_rules, migrations.RunPython.noop)]
