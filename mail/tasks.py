"""Thin Celery tasks of the mail app, each calling one service (docs/email.md, "Sync" and
"Writing e-mails").

Both kinds are idempotent, so they acknowledge late and are re-queued when their worker dies.
A sync: messages are unique per owner and Message-ID and the folder position only moves forward
after a committed batch, so the second run fetches from the last committed batch and stores
nothing twice; a per-mailbox lock in the cache keeps two workers off the same mailbox. A
delivery: the message is claimed with a conditional UPDATE under a lease, so a redelivered or
duplicated task sends nothing twice while the message is held.
"""

from celery import shared_task
from django.conf import settings

from mail import sending, sync

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="mail.sync_mailbox", ignore_result=True, **IDEMPOTENT)
def sync_mailbox(mailbox_id):
    return sync.sync_mailbox_by_id(mailbox_id)


@shared_task(name="mail.sync_all_mailboxes", ignore_result=True, **IDEMPOTENT)
def sync_all_mailboxes():
    """Beat: one sync task per connected mailbox with sync enabled. Each expires when the next
    round is due, so a backlog of workers does not pile up syncs of one mailbox."""
    ids = list(sync.mailboxes_to_sync().values_list("pk", flat=True))
    for mailbox_id in ids:
        sync_mailbox.apply_async((mailbox_id,), expires=settings.CRM_MAIL_SYNC_INTERVAL_SECONDS)
    return len(ids)


@shared_task(name="mail.deliver_message", **IDEMPOTENT)
def deliver_message(message_id):
    return sending.deliver(message_id)


@shared_task(name="mail.deliver_pending", **IDEMPOTENT)
def deliver_pending():
    return sending.deliver_pending()
