"""Re-encrypt every stored mailbox secret with the first key of CRM_MAIL_KEYS (docs/email.md,
"Secrets and key rotation")."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mail import crypto
from mail.models import Mailbox


class Command(BaseCommand):
    help = (
        "Re-encrypt every mailbox secret with the first key of CRM_MAIL_KEYS. A secret that no "
        "configured key opens is reported by mailbox id and left unchanged (exit status 1)."
    )

    def handle(self, *args, **options):
        crypto.fernet()  # ImproperlyConfigured without usable keys, before anything is read
        rotated, unreadable = 0, []
        ids = list(Mailbox.objects.exclude(secret="").order_by("pk").values_list("pk", flat=True))
        for mailbox_id in ids:
            # One short transaction per mailbox: a save from the page in between is not overwritten.
            with transaction.atomic():
                mailbox = Mailbox.objects.select_for_update().filter(pk=mailbox_id).exclude(secret="").first()
                if mailbox is None:
                    continue
                try:
                    secret = crypto.rotated(mailbox.secret)
                except crypto.SecretUnreadable:
                    unreadable.append(mailbox_id)
                    continue
                Mailbox.objects.filter(pk=mailbox_id).update(secret=secret)
                rotated += 1
        self.stdout.write(f"Re-encrypted {rotated} mailbox secret(s) with the first key.")
        if unreadable:
            listed = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"{len(unreadable)} secret(s) could not be opened with any configured key and were left "
                f"unchanged: mailbox id(s) {listed}. Put the key they were sealed with back into CRM_MAIL_KEYS "
                "(after the first) and run the command again, or have their owners enter the password again."
            )
