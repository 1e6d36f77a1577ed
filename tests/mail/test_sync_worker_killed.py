"""A real Celery worker killed (SIGKILL) in the middle of syncing 200 messages from the real
IMAP server: a second worker's run completes, and every message is stored exactly once."""

import smtplib

import pytest

from mail.models import EmailMessage, MailFolder
from tests.mail.messages import make_email
from tests.workers import Processes

MESSAGES = 200

pytestmark = [
    pytest.mark.mailserver,
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_worker_killed_mid_sync_is_followed_by_a_run_that_stores_each_message_once(
    tmp_path, worker_broker, mail_server, connect_mailbox, rep
):
    mailbox = connect_mailbox(rep, sent_folder="Sent")
    with smtplib.LMTP(mail_server.host, mail_server.ports["lmtp"], timeout=10) as lmtp:
        for n in range(MESSAGES):
            raw = make_email("anna@customer.test", mailbox.email_address, f"Order {n:03d}")
            lmtp.sendmail("anna@customer.test", [mailbox.email_address], raw)
    processes = Processes(
        tmp_path,
        CELERY_BROKER_URL=worker_broker,
        CELERY_VISIBILITY_TIMEOUT="5",
        CRM_VAR_DIR=str(tmp_path / "var"),
        CRM_MAIL_CA_FILE=str(mail_server.cert_path),
        CRM_MAIL_SYNC_BATCH_SIZE="10",
        CRM_MAIL_SYNC_TEST_DELAY="0.03",  # about 6 s for the whole folder
    )
    try:
        processes.start_worker("worker1")
        processes.call("mail.sync_mailbox", mailbox.pk)
        processes.wait_until(
            lambda: EmailMessage.objects.filter(owner=rep).count() >= 60, timeout=60, what="the first 60 messages"
        )
        processes.kill("worker1")
        at_kill = EmailMessage.objects.filter(owner=rep).count()
        committed = MailFolder.objects.get(mailbox=mailbox, role="inbox").last_uid
        assert at_kill < MESSAGES, "the kill should land mid-sync"
        assert committed % 10 == 0 and committed <= at_kill

        processes.start_worker("worker2")
        processes.call("mail.sync_mailbox", mailbox.pk)
        processes.wait_until(
            lambda: MailFolder.objects.filter(mailbox=mailbox, role="inbox", last_uid=MESSAGES).exists(),
            timeout=90,
            interval=0.2,
            what="the whole folder synced",
        )
        processes.wait_for_log("worker2", "succeeded", timeout=30)
    finally:
        processes.stop_all()

    subjects = list(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True))
    assert sorted(subjects) == [f"Order {n:03d}" for n in range(MESSAGES)]
    assert EmailMessage.objects.filter(owner=rep).values("message_id").distinct().count() == MESSAGES
    mailbox.refresh_from_db()
    assert mailbox.status == "ok"
