from django.core.management.base import BaseCommand

from audit import context as audit_context
from leads import services


class Command(BaseCommand):
    help = "Recompute every lead's stored qualification score with the current weights (admin › Scoring settings)."

    @audit_context.command
    def handle(self, *args, **options):
        changed = services.scoring_rescore_all()
        self.stdout.write(f"{changed} leads rescored (score or breakdown changed).")
