"""The webhook task: fan out the outbox and deliver what is due (docs/api.md, "Webhooks").

Queued by name (`webhooks.dispatch`) when a transaction that wrote events commits, and every
minute by beat, which catches what a lost queue message or a killed worker left behind. The
service is idempotent (deliveries unique per subscription and event, claimed under a lease).
"""

from celery import shared_task

from webhooks import dispatch


@shared_task(name="webhooks.dispatch", acks_late=True, reject_on_worker_lost=True)
def dispatch_and_deliver():
    return dispatch.run()
