from django.db import migrations

from nurturing.defaults import ensure_retargeting, remove_retargeting


def _models(apps):
    return {
        "EmailTemplate": apps.get_model("mail", "EmailTemplate"),
        "FollowUpRule": apps.get_model("activities", "FollowUpRule"),
        "RuleAction": apps.get_model("nurturing", "RuleAction"),
        "Sequence": apps.get_model("nurturing", "Sequence"),
        "Step": apps.get_model("nurturing", "Step"),
        "LostReason": apps.get_model("deals", "LostReason"),
        "User": apps.get_model("accounts", "User"),
    }


def create_retargeting(apps, schema_editor):
    ensure_retargeting(**_models(apps))


def remove(apps, schema_editor):
    remove_retargeting(**_models(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("nurturing", "0001_initial"),
        ("activities", "0009_ui_rule_triggers_and_actions"),
        ("mail", "0004_purpose_and_extra_headers"),
        ("deals", "0015_summary_triggers_after_customer_tables"),
    ]

    operations = [migrations.RunPython(create_retargeting, remove)]
