import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_organization_contact_from_leads"),
        ("deals", "0010_deal_customers_foreign_keys"),
        ("leads", "0006_import_heartbeat_lead_import_row"),
    ]

    # Organization and Contact now live in the customers app (its 0001); their tables and indexes stay.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name="contact",
                    name="contact_lower_email",
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="contact",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="leads",
                        to="customers.contact",
                    ),
                ),
                migrations.RemoveIndex(
                    model_name="organization",
                    name="organization_lower_name",
                ),
                migrations.RemoveIndex(
                    model_name="organization",
                    name="organization_email_domain",
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="organization",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="leads",
                        to="customers.organization",
                    ),
                ),
                migrations.DeleteModel(
                    name="Contact",
                ),
                migrations.DeleteModel(
                    name="Organization",
                ),
            ],
            database_operations=[],
        ),
    ]
