from django.core.management.base import BaseCommand, CommandError

from audit import context as audit_context
from mail import sync


class Command(BaseCommand):
    help = "Sync the connected mailboxes now, in the foreground (what the beat task does), or one of them."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", type=int, help="only this mailbox (its id)")

    @audit_context.command
    def handle(self, *args, **options):
        if options["mailbox"] is not None:
            ids = [options["mailbox"]]
            if not sync.mailboxes_to_sync().filter(pk=ids[0]).exists():
                raise CommandError(f"Mailbox {ids[0]} is not connected or its sync is disabled.")
        else:
            ids = list(sync.mailboxes_to_sync().values_list("pk", flat=True))
        for mailbox_id in ids:
            self.stdout.write(sync.sync_mailbox_by_id(mailbox_id))
