"""Thin Celery tasks of the mail app: each calls one service (mail/sending.py).

Delivery claims a message with a conditional UPDATE under a lease, so a redelivered or
duplicated task sends nothing twice while the message is held; the tasks acknowledge late
and are re-queued when a worker dies.
"""

from celery import shared_task

from mail import sending

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="mail.deliver_message", **IDEMPOTENT)
def deliver_message(message_id):
    return sending.deliver(message_id)


@shared_task(name="mail.deliver_pending", **IDEMPOTENT)
def deliver_pending():
    return sending.deliver_pending()
