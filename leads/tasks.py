"""Celery tasks of the leads app: thin, take ids, safe to run twice."""

from celery import shared_task

from leads import services


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def lead_import_run(import_id):
    """Import the valid rows of a confirmed CSV upload (claimed queued → running)."""
    services.lead_import_run(import_id=import_id)


@shared_task(ignore_result=True)
def scoring_rescore_all():
    """Recompute every stored score after an admin changed the weights."""
    services.scoring_rescore_all()
