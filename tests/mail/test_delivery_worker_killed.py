"""A real Celery worker that dies while it holds an e-mail (claimed, talking to an SMTP server
that does not answer): the message stays claimed until its lease ends, is not sent by another
run before that, and is then sent exactly once through the user's SMTP server. Counted in the
recipient's INBOX on the real mail server."""

import re
import socket
import threading
import time

import pytest

from mail import sending
from mail.models import Mailbox
from tests.mail.test_sending import fetch_all
from tests.workers import WORKER_BROKER_URL, Processes
from tests.workers import worker_broker as worker_broker  # the fixture, for usefixtures

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.mailserver,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("worker_broker"),
]

LEASE = 13  # seconds; more than 4 × CRM_MAIL_TIMEOUT (3)


class SilentServer:
    """Accepts connections and never says a word (an SMTP server that hangs before its greeting)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _address = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        for connection in self.held:
            connection.close()
        self.sock.close()


def state(message):
    message.refresh_from_db()
    return message.delivery


def copied(message):
    message.refresh_from_db()
    return message.sent_copy_at is not None


def test_a_worker_killed_while_sending_leaves_the_message_to_be_sent_once_after_the_lease(
    tmp_path, connect_mailbox, server_account, mail_server, rep, settings
):
    customer, password = server_account("killed")
    time.sleep(1.1)  # the rep's account in another second (Dovecot rereads its users by mtime)
    silent = SilentServer()
    mailbox = connect_mailbox(rep, smtp_port=silent.port)
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    message = sending.send_email(sender=rep, to=customer, subject="Einmal", text="Nur einmal, bitte.")
    processes = Processes(
        tmp_path,
        CELERY_BROKER_URL=WORKER_BROKER_URL,
        CRM_VAR_DIR=str(tmp_path / "var"),
        CRM_MAIL_KEYS=",".join(settings.CRM_MAIL_KEYS),
        CRM_MAIL_CA_FILE=str(mail_server.cert_path),
        CRM_MAIL_TIMEOUT="3",
        CRM_MAIL_SEND_LEASE_SECONDS=str(LEASE),
    )
    try:
        processes.start_worker("worker1")
        processes.call("mail.deliver_message", message.pk)
        processes.wait_until(lambda: state(message) == "sending", timeout=20, what="the message claimed")
        processes.kill("worker1")
        claimed_at = message.claimed_at
        Mailbox.objects.filter(pk=mailbox.pk).update(smtp_port=mail_server.ports["smtp"])

        processes.start_worker("worker2")
        processes.call("mail.deliver_pending")
        processes.wait_for_log("worker2", "succeeded", timeout=20)
        assert re.search(r"mail\.deliver_pending\[[^\]]+\] succeeded in [\d.]+s: 0", processes.log_text("worker2"))
        assert state(message) == "sending", "held until the lease ends"

        time.sleep(max(0, LEASE + 1 - (time.time() - claimed_at.timestamp())))
        processes.call("mail.deliver_pending")
        processes.wait_until(lambda: state(message) == "sent", timeout=30, interval=0.2, what="the message sent")
        # the Sent copy follows the delivery in the same task: stopping the worker earlier would cut it off
        processes.wait_until(lambda: copied(message), timeout=30, interval=0.2, what="the copy in the Sent folder")
    finally:
        processes.stop_all()
        silent.close()

    received = fetch_all(mail_server, customer, password)
    assert [m["Message-ID"] for _flags, m in received] == [message.message_id]
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.sent_copy_at is not None
