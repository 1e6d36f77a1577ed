from django.core.management.base import BaseCommand

from activities import services
from audit import context as audit_context


class Command(BaseCommand):
    help = "Apply the active follow-up rules to the deal and lead history (once per occurrence)."

    @audit_context.command
    def handle(self, *args, **options):
        result = services.rules_apply()
        self.stdout.write(f"{result}")
