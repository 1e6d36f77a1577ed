"""Thin Celery tasks: each calls one periodic service.

Every service here is idempotent (claims with a conditional UPDATE or a unique
constraint; e-mail under a lease renewed before each message), so the tasks acknowledge
late and are re-queued when a worker dies: a redelivered or duplicated task does the
remaining work and nothing twice. The time limits keep a stuck run shorter than the
broker's visibility timeout.
"""

from celery import shared_task

from activities import services

# Time limits come from CELERY_TASK_TIME_LIMIT / CELERY_TASK_SOFT_TIME_LIMIT (300 / 240 s).
IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="activities.send_due_reminders", **IDEMPOTENT)
def send_due_reminders():
    return services.reminders_run()


@shared_task(name="activities.send_daily_digests", **IDEMPOTENT)
def send_daily_digests():
    return services.digests_run()


@shared_task(name="activities.apply_follow_up_rules", **IDEMPOTENT)
def apply_follow_up_rules():
    return services.rules_apply()


@shared_task(name="activities.deliver_outgoing_email", **IDEMPOTENT)
def deliver_outgoing_email():
    return services.email_deliver_pending()
