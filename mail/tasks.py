"""Thin Celery tasks of the mail app (docs/email.md, "Sync").

A sync is idempotent (messages are unique per owner and Message-ID, the folder position only
moves forwards after a committed batch), so the tasks acknowledge late and are re-queued when
their worker dies: the second run fetches from the last committed batch and stores nothing
twice. A per-mailbox lock in the cache keeps two workers off the same mailbox.
"""

from celery import shared_task

from mail import sync

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="mail.sync_mailbox", **IDEMPOTENT)
def sync_mailbox(mailbox_id):
    return sync.sync_mailbox_by_id(mailbox_id)


@shared_task(name="mail.sync_all_mailboxes", **IDEMPOTENT)
def sync_all_mailboxes():
    """Beat: one sync task per connected mailbox with sync enabled."""
    ids = list(sync.mailboxes_to_sync().values_list("pk", flat=True))
    for mailbox_id in ids:
        sync_mailbox.delay(mailbox_id)
    return len(ids)
