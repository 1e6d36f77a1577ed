"""Thin Celery tasks of the nurturing app, each calling one service (docs/nurturing.md,
"Workers and restarts"). All are safe to run twice or at once: enrolments are claimed under a
lease, segment enrolment skips who was ever in the sequence (and the database refuses a second
active enrolment), reply marking only looks at unanswered sends, and the opt-in e-mails are
claimed under row locks and go through the activities outbox."""

from celery import shared_task

from nurturing import conditions, engine, enrolment, optin
from nurturing.models import Sequence

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="nurturing.run_due", **IDEMPOTENT)
def run_due():
    return engine.run_due()


@shared_task(name="nurturing.enrol_segments", **IDEMPOTENT)
def enrol_segments():
    return enrolment.enrol_segments()


@shared_task(name="nurturing.enrol_segment", **IDEMPOTENT)
def enrol_segment(sequence_id):
    sequence = Sequence.objects.filter(pk=sequence_id).select_related("segment", "segment__owner").first()
    return enrolment.enrol_segment(sequence).enrolled if sequence is not None else 0


@shared_task(name="nurturing.mark_replies", **IDEMPOTENT)
def mark_replies():
    return conditions.mark_replies()


@shared_task(name="nurturing.send_confirmations", **IDEMPOTENT)
def send_confirmations():
    """The double opt-in e-mails of pending contacts and leads not asked yet, then the outbox."""
    from activities import services as activity_services

    queued = optin.confirmations_send_pending()
    sent = activity_services.email_deliver_pending() if queued else 0
    return {"queued": queued, "sent": sent}
