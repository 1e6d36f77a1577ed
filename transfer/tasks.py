"""Celery tasks of the import: thin, take ids, safe to run twice.

The run is acknowledged late and re-queued when its worker dies (`acks_late`,
`reject_on_worker_lost`): a dry run writes nothing but its report, and an import that died
rolled back its one transaction, so the next run starts from the beginning.
"""

from celery import shared_task

from transfer import services

LATE_ACK = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="transfer.import_run", ignore_result=True, time_limit=900, soft_time_limit=840, **LATE_ACK)
def import_run(job_id):
    """Run the dry run or the all-or-nothing import of an uploaded file."""
    services.import_run(job_id=job_id)


@shared_task(name="transfer.fail_stale_imports", ignore_result=True, **LATE_ACK)
def fail_stale_imports():
    """Mark dry runs and imports without progress (and without a live worker) as failed."""
    return services.import_fail_stale()
