"""Thin Celery tasks of the nurturing app: each calls one service, safe to run twice (the
service claims its work under row locks; e-mail goes through the activities outbox)."""

from celery import shared_task

from nurturing import optin

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="nurturing.send_confirmations", **IDEMPOTENT)
def send_confirmations():
    """The double opt-in e-mails of pending contacts and leads not asked yet, then the outbox."""
    from activities import services as activity_services

    queued = optin.confirmations_send_pending()
    sent = activity_services.email_deliver_pending() if queued else 0
    return {"queued": queued, "sent": sent}
