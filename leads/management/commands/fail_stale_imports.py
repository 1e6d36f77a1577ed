from django.conf import settings
from django.core.management.base import BaseCommand

from leads import services


class Command(BaseCommand):
    help = (
        "Mark the CSV imports that made no progress for LEADS_IMPORT_STALE_MINUTES as failed "
        "(their worker died or never started them); users retry them from the import page."
    )

    def handle(self, *args, **options):
        failed = services.lead_import_fail_stale()
        self.stdout.write(
            f"{failed} stale imports marked failed (no progress for {settings.LEADS_IMPORT_STALE_MINUTES} minutes)."
        )
