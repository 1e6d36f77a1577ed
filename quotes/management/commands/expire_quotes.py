from django.core.management.base import BaseCommand

from audit import context as audit_context
from quotes import services


class Command(BaseCommand):
    help = "Expire every sent quote past the end of its valid-until day (what the nightly task does)."

    @audit_context.command
    def handle(self, *args, **options):
        expired = services.quotes_expire_due()
        self.stdout.write(f"{expired}")
