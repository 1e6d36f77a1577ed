from django.core.management.base import BaseCommand

from leads import services


class Command(BaseCommand):
    help = (
        "Recompute every lead's normalised e-mail and phone number (the duplicate keys), "
        "e.g. after LEADS_PHONE_REGION changed."
    )

    def handle(self, *args, **options):
        changed = services.lead_contact_keys_refresh()
        self.stdout.write(f"{changed} leads got new duplicate keys.")
