import django.db.models.deletion
from django.db import migrations, models


def forget_visits(apps, schema_editor):
    """The visits change shape (stage bits instead of stage orders, both ways); the next sync
    (`manage.py sync_visits`) rebuilds them."""
    apps.get_model("analytics", "StageVisit").objects.all().delete()
    apps.get_model("analytics", "VisitSync").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_stage_visits"),
        ("deals", "0003_stage_health"),
    ]

    operations = [
        migrations.RunPython(forget_visits, forget_visits),
        migrations.RemoveField(model_name="stagevisit", name="later_max_order"),
        migrations.AddField(
            model_name="stagevisit",
            name="later_stages",
            field=models.BigIntegerField(
                default=0,
                help_text="The bits (StageSlot) of the stages of its pipeline the deal is open in at or after the visit.",
                verbose_name="stages of the pipeline at or after the visit",
            ),
            preserve_default=False,
        ),
        migrations.RemoveField(model_name="visitsync", name="stage_key"),
        migrations.CreateModel(
            name="StageSlot",
            fields=[
                (
                    "stage",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="deals.stage",
                    ),
                ),
                ("slot", models.PositiveSmallIntegerField(verbose_name="slot")),
                (
                    "pipeline",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="deals.pipeline"
                    ),
                ),
            ],
            options={
                "verbose_name": "stage slot",
                "verbose_name_plural": "stage slots",
                "constraints": [
                    models.UniqueConstraint(fields=("pipeline", "slot"), name="stageslot_unique_per_pipeline"),
                    models.CheckConstraint(condition=models.Q(("slot__lt", 63)), name="stageslot_fits_a_bigint"),
                ],
            },
        ),
        # Backwards this runs first: an empty table takes the restored non-null column.
        migrations.RunPython(migrations.RunPython.noop, forget_visits),
    ]
