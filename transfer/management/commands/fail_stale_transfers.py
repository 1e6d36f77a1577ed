from django.conf import settings
from django.core.management.base import BaseCommand

from transfer import services


class Command(BaseCommand):
    help = (
        "Mark the dry runs and imports of organizations, contacts, deals and activities that made no progress "
        "for TRANSFER_IMPORT_STALE_MINUTES (and whose worker holds no lock) as failed."
    )

    def handle(self, *args, **options):
        failed = services.import_fail_stale()
        self.stdout.write(
            f"{failed} stale imports marked failed (no progress for {settings.TRANSFER_IMPORT_STALE_MINUTES} minutes)."
        )
