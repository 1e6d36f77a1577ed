from django.core.management.base import BaseCommand

from analytics import services


class Command(BaseCommand):
    help = "Recompute the bottleneck verdict of every stage (what the board's column badge shows)."

    def handle(self, *args, verbosity=1, **options):
        flagged = services.stage_health_compute()
        if verbosity:
            names = ", ".join(f"{stage.pipeline} / {stage}" for stage in flagged) or "none"
            self.stdout.write(f"Bottlenecks: {names}")
