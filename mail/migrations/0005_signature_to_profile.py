"""The e-mail signature moves to the user's profile (User.email_signature): a signature kept in the
personal mailbox's preferences is copied to a profile that has none yet."""

from django.db import migrations


def copy_signatures(apps, schema_editor):
    Mailbox = apps.get_model("mail", "Mailbox")
    User = apps.get_model("accounts", "User")
    rows = Mailbox.objects.filter(user__isnull=False).exclude(signature="").values_list("user_id", "signature")
    for user_id, signature in rows:
        User.objects.filter(pk=user_id, email_signature="").update(email_signature=signature[:2000])


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0004_purpose_and_extra_headers"),
        ("accounts", "0004_user_profile"),
    ]

    operations = [migrations.RunPython(copy_signatures, migrations.RunPython.noop)]
