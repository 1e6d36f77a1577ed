from django.core.management.base import BaseCommand

from analytics import services


class Command(BaseCommand):
    help = (
        "Bring the materialized stage visits (what the funnel, time in stage and observed probabilities read) "
        "up to the newest stage change. --rebuild rewrites every visit from the whole history."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="rebuild every visit from the whole history")

    def handle(self, *args, rebuild=False, verbosity=1, **options):
        written = services.visits_sync(rebuild=rebuild)
        if verbosity:
            self.stdout.write(f"Stage visits written: {written}")
