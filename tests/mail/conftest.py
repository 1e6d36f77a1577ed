"""The real IMAP/SMTP server for the mail tests (scripts/mailserver.py: Dovecot and the SMTP
front) and mailboxes connected to it.

Under .ci/run the server is started once before the suite and TEST_MAIL_SERVER names its
server.json; otherwise the first test that needs it starts one for the session in a temporary
folder (Dovecot must be installed and the tests run as root). Tests that talk to it carry the
`mailserver` mark: `-m 'not mailserver'` skips them.
"""

import itertools
import os
import shutil
import tempfile

import pytest

from scripts.mailserver import MailServer, dovecot_available
from tests.testenv import IN_CI
from tests.workers import worker_broker  # noqa: F401 (a fixture of the tests that kill workers)

_numbers = itertools.count(1)


def mailbox_form_data(mail_server, address, password="", **overrides):
    """What the mailbox page's connection form posts for an account on the test server
    (STARTTLS both ways)."""
    return {
        "provider": "custom",
        "email_address": address,
        "display_name": "Alice Rep",
        "imap_host": mail_server.host,
        "imap_port": mail_server.ports["imap"],
        "imap_security": "starttls",
        "smtp_host": mail_server.host,
        "smtp_port": mail_server.ports["smtp"],
        "smtp_security": "starttls",
        "username": "",
        "password": password,
        "inbox_folder": "INBOX",
        "sent_folder": "",
        "sync_enabled": "on",
    } | overrides


@pytest.fixture(scope="session")
def mail_server():
    state = os.environ.get("TEST_MAIL_SERVER")
    if state:
        yield MailServer.from_state(os.path.dirname(state))
        return
    if not dovecot_available():
        message = "needs Dovecot (apt-get install -y dovecot-imapd dovecot-lmtpd) and root"
        if IN_CI:
            pytest.fail(f"The mail server is required under CI=true: {message}.")
        pytest.skip(message)
    # Not under pytest's temporary folder: it is private to root, and Dovecot's processes run as
    # the dovecot user.
    root = tempfile.mkdtemp(prefix="crm-test-mailserver-")
    server = MailServer(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mail_settings(settings, mail_server):
    """Trust the server's self-signed certificate, as an installation trusts its company CA."""
    settings.CRM_MAIL_CA_FILE = str(mail_server.cert_path)
    settings.CRM_MAIL_TIMEOUT = 10
    return settings


@pytest.fixture
def server_account(mail_server):
    """A fresh address on the server: returns (address, password)."""

    def make(prefix="user"):
        address = f"{prefix}{os.getpid()}-{next(_numbers)}@crm.test"
        password = f"pw-{next(_numbers)}"
        mail_server.add_user(address, password)
        return address, password

    return make


@pytest.fixture
def connect_mailbox(mail_server, mail_settings, server_account):
    """Connect `user`'s mailbox to a fresh account on the server (IMAP STARTTLS, SMTP STARTTLS)."""
    from mail import crypto
    from mail.models import Mailbox

    def connect(user, **overrides):
        address, password = server_account(user.username)
        fields = {
            "email_address": address,
            "display_name": user.get_full_name() or user.username,
            "imap_host": mail_server.host,
            "imap_port": mail_server.ports["imap"],
            "imap_security": Mailbox.Security.STARTTLS,
            "smtp_host": mail_server.host,
            "smtp_port": mail_server.ports["smtp"],
            "smtp_security": Mailbox.Security.STARTTLS,
            "username": address,
            "secret": crypto.seal(password),
            "status": Mailbox.Status.OK,
        } | overrides
        mailbox, _ = Mailbox.objects.update_or_create(user=user, defaults=fields)
        mailbox.server_password = password  # for tests that log in as the mailbox's owner
        return mailbox

    return connect
