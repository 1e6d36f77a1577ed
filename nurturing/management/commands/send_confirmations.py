from django.core.management.base import BaseCommand

from activities import services as activity_services
from audit import context as audit_context
from nurturing import optin


class Command(BaseCommand):
    help = "Queue the double opt-in e-mail of every pending contact and lead not asked yet, then deliver the outbox."

    @audit_context.command
    def handle(self, *args, **options):
        queued = optin.confirmations_send_pending()
        sent = activity_services.email_deliver_pending()
        self.stdout.write(f"{{'queued': {queued}, 'sent': {sent}}}")
