from django.core.management.base import BaseCommand

from activities import services


class Command(BaseCommand):
    help = "Claim the due reminders, notify and e-mail (exactly once), then deliver queued e-mail."

    def handle(self, *args, **options):
        result = services.reminders_run()
        self.stdout.write(f"{result}")
