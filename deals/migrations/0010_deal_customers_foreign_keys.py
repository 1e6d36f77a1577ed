import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_organization_contact_from_leads"),
        ("deals", "0009_deal_summary_region"),
    ]

    # The foreign keys follow the models to the customers app; the columns and constraints stay.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="deal",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deals",
                        to="customers.contact",
                        verbose_name="contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="deal",
                    name="organization",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="deals",
                        to="customers.organization",
                        verbose_name="organization",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
