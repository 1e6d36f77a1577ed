"""Celery tasks of the customers app: thin and safe to run twice."""

from celery import shared_task

from customers import services


@shared_task(name="customers.purge_trash", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def purge_trash():
    """Remove the organizations and contacts in the trash for longer than 30 days (beat: nightly)."""
    return services.trash_purge()
