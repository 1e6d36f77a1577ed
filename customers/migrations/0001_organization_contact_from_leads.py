"""Organization and Contact move from the leads app to this one with their tables: the state
changes here, the database does not (the tables keep their names, `leads_organization` and
`leads_contact`). The content types move too, so the audit trail's entries and any permissions
granted on the two models follow them."""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

MODELS = ("organization", "contact")


def move_content_types(apps, schema_editor, source="leads", target="customers"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A content type already made for the target (nothing can point at it yet) gives way.
        ContentType.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="customers", target="leads")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("leads", "0006_import_heartbeat_lead_import_row"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organization",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "industry",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("software", "Software & IT"),
                                    ("manufacturing", "Manufacturing"),
                                    ("retail", "Retail & e-commerce"),
                                    ("finance", "Finance & insurance"),
                                    ("healthcare", "Healthcare"),
                                    ("logistics", "Logistics"),
                                    ("services", "Professional services"),
                                    ("public", "Public sector & education"),
                                    ("other", "Other"),
                                ],
                                max_length=20,
                                verbose_name="industry",
                            ),
                        ),
                        (
                            "size_band",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("1-9", "1–9 employees"),
                                    ("10-49", "10–49 employees"),
                                    ("50-249", "50–249 employees"),
                                    ("250-999", "250–999 employees"),
                                    ("1000+", "1,000+ employees"),
                                ],
                                max_length=10,
                                verbose_name="company size",
                            ),
                        ),
                        (
                            "region",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("north", "Germany North"),
                                    ("south", "Germany South"),
                                    ("east", "Germany East"),
                                    ("west", "Germany West"),
                                    ("at", "Austria"),
                                    ("ch", "Switzerland"),
                                    ("eu", "Rest of Europe"),
                                    ("intl", "International"),
                                ],
                                max_length=10,
                                verbose_name="region",
                            ),
                        ),
                        ("website", models.URLField(blank=True, verbose_name="website")),
                        (
                            "email_domain",
                            models.CharField(
                                blank=True,
                                help_text="Used to match leads to this organization.",
                                max_length=200,
                                verbose_name="e-mail domain",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at"),
                        ),
                    ],
                    options={
                        "verbose_name": "organization",
                        "verbose_name_plural": "organizations",
                        "db_table": "leads_organization",
                        "ordering": ["name"],
                        "indexes": [
                            models.Index(django.db.models.functions.text.Lower("name"), name="organization_lower_name"),
                            models.Index(fields=["email_domain"], name="organization_email_domain"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Contact",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("first_name", models.CharField(blank=True, max_length=100, verbose_name="first name")),
                        ("last_name", models.CharField(max_length=100, verbose_name="last name")),
                        ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail")),
                        ("phone", models.CharField(blank=True, max_length=50, verbose_name="phone")),
                        ("job_title", models.CharField(blank=True, max_length=100, verbose_name="job title")),
                        (
                            "decision_role",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("decision_maker", "Decision maker"),
                                    ("influencer", "Influencer"),
                                    ("user", "User"),
                                    ("gatekeeper", "Gatekeeper"),
                                ],
                                max_length=20,
                                verbose_name="decision role",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at"),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="contacts",
                                to="customers.organization",
                                verbose_name="organization",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "contact",
                        "verbose_name_plural": "contacts",
                        "db_table": "leads_contact",
                        "ordering": ["last_name", "first_name"],
                        "indexes": [
                            models.Index(django.db.models.functions.text.Lower("email"), name="contact_lower_email")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=False),
    ]
