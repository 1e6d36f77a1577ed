"""The installation's default e-mail templates: a follow-up after a meeting and sending the
offer, in German and English (owner empty: shared with everyone, kept by admins)."""

from django.db import migrations

DEFAULTS = [
    {
        "name": "Nachfassen nach dem Termin",
        "language": "de",
        "subject": "Unser Gespräch: {{ deal.title }}",
        "body": (
            'Guten Tag {{ contact.first_name|default:"" }} {{ contact.last_name }},\n\n'
            "vielen Dank für das angenehme Gespräch. Wie besprochen fasse ich die nächsten Schritte zu "
            "„{{ deal.title }}“ kurz zusammen und melde mich in den nächsten Tagen wieder bei Ihnen.\n\n"
            "Haben Sie bis dahin Fragen, erreichen Sie mich jederzeit unter {{ sender.email }}.\n\n"
            "Mit freundlichen Grüßen\n{{ sender.signature }}"
        ),
    },
    {
        "name": "Angebot senden",
        "language": "de",
        "subject": "Ihr Angebot: {{ deal.title }}",
        "body": (
            'Guten Tag {{ contact.first_name|default:"" }} {{ contact.last_name }},\n\n'
            "anbei erhalten Sie unser Angebot zu „{{ deal.title }}“ über {{ deal.value }} (netto). "
            "Gerne gehe ich es mit Ihnen gemeinsam durch.\n\n"
            "Mit freundlichen Grüßen\n{{ sender.signature }}"
        ),
    },
    {
        "name": "Follow-up after our meeting",
        "language": "en",
        "subject": "Our conversation: {{ deal.title }}",
        "body": (
            'Dear {{ contact.first_name|default:"Sir or Madam" }},\n\n'
            "Thank you for taking the time to meet. As agreed, here is a short summary of the next steps for "
            "“{{ deal.title }}”; I will be in touch again in the next few days.\n\n"
            "If you have any questions in the meantime, you can reach me at {{ sender.email }}.\n\n"
            "Kind regards\n{{ sender.signature }}"
        ),
    },
    {
        "name": "Sending the offer",
        "language": "en",
        "subject": "Your offer: {{ deal.title }}",
        "body": (
            'Dear {{ contact.first_name|default:"Sir or Madam" }},\n\n'
            "Please find attached our offer for “{{ deal.title }}” of {{ deal.value }} (net). "
            "I would be glad to go through it with you.\n\n"
            "Kind regards\n{{ sender.signature }}"
        ),
    },
]


def add_defaults(apps, schema_editor):
    EmailTemplate = apps.get_model("mail", "EmailTemplate")
    for template in DEFAULTS:
        EmailTemplate.objects.get_or_create(
            owner=None, name=template["name"], language=template["language"],
            defaults={"subject": template["subject"], "body": template["body"], "visibility": "everyone"},
        )  # fmt: skip


def remove_defaults(apps, schema_editor):
    EmailTemplate = apps.get_model("mail", "EmailTemplate")
    for template in DEFAULTS:
        EmailTemplate.objects.filter(owner=None, name=template["name"], language=template["language"]).delete()


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_compose_delivery_and_templates")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
