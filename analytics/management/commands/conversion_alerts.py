from django.core.management.base import BaseCommand

from analytics import alerts


class Command(BaseCommand):
    help = "Test every stage's conversion of the last complete week against its trailing eight weeks and notify."

    def handle(self, *args, verbosity=1, **options):
        written = alerts.conversion_alerts_notify()
        if verbosity:
            self.stdout.write(f"Conversion alerts: {written} notifications")
