from django.db import migrations, models

from deals.stage_order import renumber_duplicate_orders


def renumber(apps, schema_editor):
    renumber_duplicate_orders(apps.get_model("deals", "Stage"))


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_board_bottleneck_scope")]

    operations = [
        migrations.RunPython(renumber, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="stage",
            constraint=models.UniqueConstraint(
                deferrable=models.Deferrable["DEFERRED"],
                fields=("pipeline", "order"),
                name="stage_unique_order_per_pipeline",
                violation_error_message="Another stage of this pipeline already has this order number.",
            ),
        ),
    ]
