from django.core.management.base import BaseCommand

from mail import sending


class Command(BaseCommand):
    help = "Send the e-mails written in the CRM whose retry is due or whose worker died while sending them."

    def handle(self, *args, **options):
        sent = sending.deliver_pending()
        self.stdout.write(f"{sent} sent")
