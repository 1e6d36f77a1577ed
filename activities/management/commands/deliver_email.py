from django.core.management.base import BaseCommand

from activities import services


class Command(BaseCommand):
    help = "Deliver the queued e-mails (retrying those whose claim lease expired)."

    def handle(self, *args, **options):
        result = services.email_deliver_pending()
        self.stdout.write(f"{result}")
