"""The e-mail outbox under a lease: a sender sends only rows it still holds, a long run keeps
its claims alive, and an interrupted run leaves only the message in flight in doubt."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.utils import timezone

from activities import services
from activities.models import OutgoingEmail
from tests.activities.mail_backends import HookedBackend


@pytest.fixture
def hooked(settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.activities.mail_backends.HookedBackend"}}
    HookedBackend.hook, HookedBackend.count = None, 0
    yield HookedBackend
    HookedBackend.hook, HookedBackend.count = None, 0


@pytest.fixture
def outbox(rep):
    def make(count):
        now = timezone.now()
        return [
            OutgoingEmail.objects.create(
                key=f"test:{i}", user=rep, to="alice@example.com", subject=f"Message {i}", body="-", created_at=now
            )
            for i in range(count)
        ]

    return make


def delivered_subjects():
    return Counter(message.subject for message in mail.outbox)


def test_a_sender_does_not_send_rows_another_deliverer_took_over(hooked, outbox, settings):
    """A sender suspended past its lease (a paused VM, a stopped process) loses its rows to the
    next deliverer; when it wakes up it must not send them again."""
    outbox(5)
    lease = timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)

    def take_over(number):
        if number == 1:  # while message 1 is with the server, the lease runs out and a new run starts
            hooked.hook = None
            services.email_deliver_pending(now=timezone.now() + lease + timedelta(seconds=1))

    hooked.hook = take_over
    services.email_deliver_pending()

    counts = delivered_subjects()
    assert sorted(counts) == [f"Message {i}" for i in range(5)]
    # Only the message in flight when the lease ran out went twice.
    assert counts == {"Message 0": 2, "Message 1": 1, "Message 2": 1, "Message 3": 1, "Message 4": 1}
    assert OutgoingEmail.objects.filter(sent_at__isnull=True).count() == 0


def test_a_long_run_claims_each_batch_when_it_takes_it(hooked, outbox, settings):
    """Later batches of a run that lasts longer than the lease are not up for grabs at once."""
    settings.CRM_EMAIL_CLAIM_LEASE_SECONDS = 2
    outbox(9)

    def slow_server(number):
        time.sleep(0.6)
        if number == 5:  # 3 s into the run, in its second batch: a second deliverer runs
            hooked.hook = lambda number: time.sleep(0.05)  # (quickly: the first waits for it)
            services.email_deliver_pending(batch_size=3)
            hooked.hook = slow_server

    hooked.hook = slow_server
    services.email_deliver_pending(batch_size=3)

    assert delivered_subjects() == {f"Message {i}": 1 for i in range(9)}


def test_an_interrupted_run_keeps_the_message_in_flight_and_frees_the_rest(hooked, outbox):
    emails = outbox(4)

    def time_limit(number):
        if number == 2:
            raise SoftTimeLimitExceeded()

    hooked.hook = time_limit
    with pytest.raises(SoftTimeLimitExceeded):
        services.email_deliver_pending()

    rows = {e.pk: e for e in OutgoingEmail.objects.all()}
    first, in_flight, *rest = (rows[e.pk] for e in emails)
    assert first.sent_at is not None
    # Whether the server took message 2 is unknown: it keeps its claim until the lease ends.
    assert (in_flight.sent_at, in_flight.claim_token is not None, in_flight.attempts) == (None, True, 1)
    # The messages not tried yet are free for the next run at once.
    assert all(r.claim_token is None and r.claimed_at is None and r.attempts == 0 for r in rest)
    hooked.hook = None
    assert services.email_deliver_pending() == 2
    assert OutgoingEmail.objects.filter(sent_at__isnull=True).get().pk == in_flight.pk


def test_attempts_count_sends_not_claims(hooked, outbox, settings):
    settings.CRM_EMAIL_MAX_ATTEMPTS = 2
    outbox(3)

    def refuse_first(number):
        if number == 1:
            raise ConnectionResetError("connection reset by the mail server")

    hooked.hook = refuse_first
    assert services.email_deliver_pending(batch_size=3) == 0  # the run stops at the first refusal

    rows = list(OutgoingEmail.objects.order_by("key"))
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert all(r.claim_token is None for r in rows)
    hooked.hook = None
    assert services.email_deliver_pending() == 3
    assert [r.attempts for r in OutgoingEmail.objects.order_by("key")] == [2, 1, 1]
