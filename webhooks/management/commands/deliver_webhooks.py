from django.core.management.base import BaseCommand

from audit import context
from webhooks import dispatch


class Command(BaseCommand):
    help = "Fan out the outbox's events to the webhook subscriptions and send what is due (the every-minute job)."

    @context.command
    def handle(self, *args, **options):
        outcome = dispatch.run()
        self.stdout.write(
            "{created} delivery(ies) created, {delivered} delivered, {retrying} to retry, {failed} failed, "
            "{purged} old event(s) removed.".format(**outcome)
        )
