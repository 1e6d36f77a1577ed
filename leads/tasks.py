"""Celery tasks of the leads app: thin, take ids, safe to run twice.

Both are acknowledged late and re-queued when their worker dies (`acks_late`,
`reject_on_worker_lost`), which is safe because both are idempotent: the import skips the
rows that already have their lead, the rescore recomputes every score from its inputs.
"""

from celery import shared_task

from leads import services

LATE_ACK = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840, **LATE_ACK)
def lead_import_run(import_id):
    """Import the valid rows of a confirmed CSV upload, continuing after the last committed batch."""
    services.lead_import_run(import_id=import_id)


@shared_task(ignore_result=True, **LATE_ACK)
def scoring_rescore_all():
    """Recompute every stored score after an admin changed the weights."""
    services.scoring_rescore_all()


@shared_task(name="leads.fail_stale_imports", ignore_result=True, **LATE_ACK)
def fail_stale_imports():
    """Mark imports without progress for LEADS_IMPORT_STALE_MINUTES as failed (beat: every 5 minutes)."""
    return services.lead_import_fail_stale()
