"""Celery tasks of the quotes app: thin and safe to run twice."""

from celery import shared_task

from quotes import services


@shared_task(name="quotes.expire_quotes", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def expire_quotes():
    """Expire every sent quote past the end of its valid-until day (beat: nightly). A second run
    finds nothing: each quote is expired under its row lock only while it is still sent."""
    return services.quotes_expire_due()
