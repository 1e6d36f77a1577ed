from django.core.management.base import BaseCommand

from activities import services


class Command(BaseCommand):
    help = "Queue today's digest for every user whose digest hour has come, then deliver queued e-mail."

    def handle(self, *args, **options):
        result = services.digests_run()
        self.stdout.write(f"{result}")
