"""A mailbox that fails: a wrong password (failing, one notification per episode), a
connection dropped mid-fetch (committed batches kept, the next run completes), a missing folder."""

import contextlib
import socket
import threading

import pytest

from activities.models import Notification
from mail import crypto, sync
from mail.models import EmailMessage, MailFolder
from tests.mail.messages import deliver, make_email

pytestmark = pytest.mark.mailserver


def test_a_wrong_password_fails_on_every_run_but_notifies_once_per_episode(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    right = mailbox.secret
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Waiting"))
    mailbox.secret = crypto.seal("wrong-password-987")
    mailbox.save()

    notified = []
    for _ in range(4):
        result = sync.sync_mailbox(mailbox)
        notified.append(Notification.objects.filter(user=rep).count())
    mailbox.refresh_from_db()

    assert notified == [0, 0, 1, 1]
    assert (mailbox.status, mailbox.failure_count) == ("failing", 4)
    assert mailbox.last_error.startswith("The server refused the user name or password")
    assert "wrong-password-987" not in mailbox.last_error and "wrong-password-987" not in result.error
    assert mailbox.failure_notified_at is not None and mailbox.last_error_at is not None
    assert mailbox.email_address in Notification.objects.get(user=rep).message

    mailbox.secret = right
    mailbox.save()
    assert sync.sync_mailbox(mailbox).total("new") == 1
    mailbox.refresh_from_db()
    assert (mailbox.status, mailbox.failure_count, mailbox.failure_notified_at, mailbox.last_error) == (
        "ok",
        0,
        None,
        "",
    )

    mailbox.secret = crypto.seal("wrong-again-654")
    mailbox.save()
    for _ in range(3):
        sync.sync_mailbox(mailbox)
    assert Notification.objects.filter(user=rep).count() == 2  # a new episode is told again


class CuttingProxy:
    """A TCP proxy between the sync and Dovecot that closes both sides once `cut_after` bytes
    came from the server (None: never), like a server or network dropping the connection."""

    def __init__(self, host, port, cut_after):
        self.target = (host, port)
        self.cut_after = cut_after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, sink, from_server):
        sent = 0
        try:
            while data := source.recv(16384):
                if from_server and self.cut_after is not None and sent + len(data) > self.cut_after:
                    sink.sendall(data[: self.cut_after - sent])
                    self.cuts += 1
                    break
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self):
        self.listener.close()


def test_a_connection_dropped_mid_fetch_keeps_the_committed_batches_and_the_next_run_completes(
    connect_mailbox, mail_server, rep, settings
):
    settings.CRM_MAIL_SYNC_BATCH_SIZE = 5
    mailbox = connect_mailbox(rep, sent_folder="Sent")
    filler = "Zeile mit Text für die Größe der Nachricht. " * 100  # about 4.5 kB per message
    for n in range(40):
        deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, f"Part {n:02d}", filler))
    proxy = CuttingProxy(mail_server.host, mail_server.ports["imap"], cut_after=80_000)
    mailbox.imap_port = proxy.port
    mailbox.save()
    try:
        dropped = sync.sync_mailbox(mailbox)

        assert proxy.cuts == 1
        mailbox.refresh_from_db()
        committed = MailFolder.objects.get(mailbox=mailbox, role="inbox").last_uid
        stored = EmailMessage.objects.filter(owner=rep).count()
        assert dropped.error.startswith("The connection to the server was lost during the sync")
        assert (mailbox.status, mailbox.failure_count) == ("failing", 1)
        assert 5 <= committed < 40 and committed % 5 == 0
        assert committed <= stored < 40

        proxy.cut_after = None
        finished = sync.sync_mailbox(mailbox)
    finally:
        proxy.close()

    assert finished.ok, finished.summary()
    assert finished.folders["inbox"].new == 40 - stored
    assert finished.folders["inbox"].duplicates == stored - committed
    subjects = list(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True))
    assert sorted(subjects) == [f"Part {n:02d}" for n in range(40)]
    mailbox.refresh_from_db()
    assert (mailbox.status, mailbox.failure_count) == ("ok", 0)


def test_a_missing_folder_marks_the_mailbox_failing_with_the_folder_step(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep, sent_folder="Does Not Exist")
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Inbox works"))

    result = sync.sync_mailbox(mailbox)

    mailbox.refresh_from_db()
    assert mailbox.status == "failing"
    assert result.error.startswith("A folder could not be opened: Does Not Exist")
    assert result.folders["inbox"].new == 1  # the inbox before it was stored


def test_a_secret_sealed_with_a_key_no_longer_configured_marks_the_mailbox_failing(connect_mailbox, rep, settings):
    from cryptography.fernet import Fernet

    mailbox = connect_mailbox(rep)
    settings.CRM_MAIL_KEYS = [Fernet.generate_key().decode()]  # the key it was sealed with is gone

    result = sync.sync_mailbox(mailbox)

    mailbox.refresh_from_db()
    assert (mailbox.status, mailbox.failure_count) == ("failing", 1)
    assert result.error.startswith("The stored password cannot be decrypted; please enter it again")
