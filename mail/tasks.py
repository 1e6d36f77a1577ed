"""Thin Celery tasks of the mail app (docs/email.md, "Sync").

A sync is idempotent (messages are unique per owner and Message-ID, the folder position only
moves forwards after a committed batch), so the tasks acknowledge late and are re-queued when
their worker dies: the second run fetches from the last committed batch and stores nothing
twice. A per-mailbox lock in the cache keeps two workers off the same mailbox.
"""

from celery import shared_task
from django.conf import settings

from mail import sync

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="mail.sync_mailbox", **IDEMPOTENT)
def sync_mailbox(mailbox_id):
    return sync.sync_mailbox_by_id(mailbox_id)


@shared_task(name="mail.sync_all_mailboxes", **IDEMPOTENT)
def sync_all_mailboxes():
    """Beat: one sync task per connected mailbox with sync enabled. Each expires when the next
    round is due, so a backlog of workers does not pile up syncs of one mailbox."""
    ids = list(sync.mailboxes_to_sync().values_list("pk", flat=True))
    for mailbox_id in ids:
        sync_mailbox.apply_async((mailbox_id,), expires=settings.CRM_MAIL_SYNC_INTERVAL_SECONDS)
    return len(ids)
