from django.db import migrations


def create_settings_rows(apps, schema_editor):
    """The scoring and web-form settings are single rows that admins edit."""
    apps.get_model("leads", "ScoringSettings").objects.get_or_create(pk=1)
    apps.get_model("leads", "WebFormSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_scoring_webform_import")]

    operations = [migrations.RunPython(create_settings_rows, migrations.RunPython.noop)]
