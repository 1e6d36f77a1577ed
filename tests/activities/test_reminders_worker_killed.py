"""300 reminders delivered to a real SMTP server on localhost (aiosmtpd, slowed per message)
by a real Celery worker and beat on Redis. The worker is killed mid-batch and a new one
started: every reminder arrives, and at most one — the message in flight at the kill —
arrives twice. Counted from what the server received."""

import asyncio
import email
import re
import socket
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from activities.models import Notification, OutgoingEmail
from tests import factories
from tests.workers import Processes

REMINDERS = 300
SUBJECT = re.compile(r"Customer call (\d{3})")

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class SlowMailServer:
    """Accepts every message after `delay` seconds and records its subject. A client that
    dies while the server works on a message does not stop the server from accepting it —
    as with a real mail server."""

    def __init__(self, delay):
        self.delay = delay
        self.subjects = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        subject = email.message_from_bytes(envelope.content)["Subject"]
        with self.lock:
            self.subjects.append(subject)
        return "250 Message accepted for delivery"

    def received(self):
        with self.lock:
            return list(self.subjects)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server():
    server = SlowMailServer(delay=0.04)
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield server, controller.port
    controller.stop()


@pytest.fixture
def due_reminders(rep):
    deal = factories.DealFactory(owner=rep)
    now = timezone.now()
    return [
        factories.ActivityFactory(deal=deal, due_at=now, subject=f"Customer call {n:03d}") for n in range(REMINDERS)
    ]


def test_a_worker_killed_mid_batch_sends_each_reminder_once_but_the_one_in_flight(
    tmp_path, worker_broker, mail_server, due_reminders
):
    server, port = mail_server
    processes = Processes(
        tmp_path,
        CELERY_BROKER_URL=worker_broker,
        CELERY_VISIBILITY_TIMEOUT="30",
        CRM_REMINDER_INTERVAL_SECONDS="2",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="2",
        CRM_EMAIL_CLAIM_LEASE_SECONDS="10",
    )
    try:
        processes.start_worker("worker1")
        processes.start_beat()
        processes.wait_until(lambda: len(server.received()) >= 60, timeout=30, what="the first 60 e-mails")
        processes.kill("worker1")
        at_kill = len(server.received())
        assert at_kill < REMINDERS, "the kill should land mid-batch"

        processes.start_worker("worker2")
        processes.wait_until(
            lambda: (
                not OutgoingEmail.objects.filter(sent_at__isnull=True).exists()
                and OutgoingEmail.objects.count() == REMINDERS
            ),
            timeout=50,
            interval=0.5,
            what="every e-mail marked sent",
        )
    finally:
        processes.stop_all()

    received = Counter(int(SUBJECT.search(subject).group(1)) for subject in server.received())
    assert set(received) == set(range(REMINDERS)), "every reminder was delivered"
    twice = [n for n, count in received.items() if count > 1]
    assert len(twice) <= 1, f"delivered more than once: {twice}"
    assert max(received.values()) <= 2
    assert Notification.objects.filter(kind=Notification.Kind.REMINDER).count() == REMINDERS
    assert OutgoingEmail.objects.filter(attempts__gt=1).count() <= 1
