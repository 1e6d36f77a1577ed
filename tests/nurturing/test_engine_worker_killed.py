"""150 people in a one-e-mail sequence, run by a real Celery worker and beat on Redis, their
e-mails delivered to a real SMTP server on localhost (aiosmtpd, slowed per message). The worker
is killed mid-batch and a new one started: every person gets their e-mail, and at most one —
the message in flight at the kill — arrives twice. Counted from what the server received."""

import re
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from mail.models import EmailMessage, EmailTemplate
from nurturing import enrolment
from nurturing.models import Enrolment, Send
from tests.activities.test_reminders_worker_killed import SlowMailServer, free_port
from tests.nurturing.conftest import consenting_contact, email, make_sequence
from tests.workers import Processes
from tests.workers import worker_broker as worker_broker  # the fixture

PEOPLE = 150
LEASE = 10
SUBJECT = re.compile(r"Hallo P(\d{3})")

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def mail_server():
    server = SlowMailServer(delay=0.04)
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield server, controller.port
    controller.stop()


@pytest.fixture
def enrolled(rep):
    template = EmailTemplate.objects.create(name="Hallo", subject="Hallo {{ contact.last_name }}", body="Guten Tag")
    sequence = make_sequence(rep, email(template))
    people = [consenting_contact(rep, last_name=f"P{n:03d}", email=f"p{n}@d{n % 7}.example") for n in range(PEOPLE)]
    assert enrolment.enrol(sequence=sequence, contacts=people, via="manual").enrolled == PEOPLE
    return sequence


def all_done():
    return (
        not Enrolment.objects.filter(status="active").exists() and Send.objects.filter(status="sent").count() == PEOPLE
    )


def test_a_worker_killed_mid_batch_mails_each_person_once_but_the_one_in_flight(
    tmp_path, worker_broker, mail_server, enrolled
):
    server, port = mail_server
    processes = Processes(
        tmp_path,
        CELERY_BROKER_URL=worker_broker,
        CELERY_VISIBILITY_TIMEOUT="20",
        CRM_VAR_DIR=str(tmp_path / "var"),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="2",
        CRM_MAIL_TIMEOUT="2",
        CRM_MAIL_SEND_LEASE_SECONDS=str(LEASE),
        CRM_NURTURE_LEASE_SECONDS=str(LEASE),
        CRM_NURTURE_RUN_INTERVAL_SECONDS="1",
        CRM_NURTURE_RUN_LIMIT="25",
        CRM_NURTURE_QUIET_HOURS="",
        CRM_NURTURE_DOMAIN_RATE_PER_MINUTE="1000",
    )
    try:
        processes.start_worker("worker1")
        processes.start_beat()
        processes.wait_until(lambda: len(server.received()) >= 40, timeout=60, what="the first 40 e-mails")
        processes.kill("worker1")
        at_kill = len(server.received())
        assert at_kill < PEOPLE, "the kill should land mid-batch"

        processes.start_worker("worker2")
        deadline = time.monotonic() + 120
        while not all_done() and time.monotonic() < deadline:
            time.sleep(LEASE / 2)
            # the message held by the dead worker is sent by the periodic sweep once its lease ends
            processes.call("mail.deliver_pending")
        assert all_done(), processes.logs_text()
    finally:
        processes.stop_all()

    received = Counter(int(SUBJECT.search(subject).group(1)) for subject in server.received())
    assert set(received) == set(range(PEOPLE)), "every person got their e-mail"
    twice = [n for n, count in received.items() if count > 1]
    assert len(twice) <= 1, f"delivered more than once: {twice}"
    assert Send.objects.count() == PEOPLE, "the engine wrote each e-mail once"
    assert EmailMessage.objects.filter(purpose="marketing").count() == PEOPLE
    assert Enrolment.objects.filter(status="completed").count() == PEOPLE
