"""Thin Celery tasks of the accounts app."""

from celery import shared_task

from accounts import services


# Sending twice (a redelivery after a lost worker) is harmless: the links are equal in effect
# and all of them die when one is used. A mail server that is down is retried.
@shared_task(
    name="accounts.send_password_reset_email",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=False,
    max_retries=3,
)
def send_password_reset_email(email, language):
    services.password_reset_email_send(email=email, language=language)
