"""Building test e-mails and putting them on the real server (LMTP delivery or IMAP APPEND)."""

import email.message
import email.utils
import imaplib
import ssl
import time
from datetime import UTC, datetime


def make_email(sender, to, subject, body="Hello", *, message_id=None, date=None, **headers):
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(date or datetime.now(UTC))
    if message_id is not False:
        message["Message-ID"] = message_id or email.utils.make_msgid(domain="customer.test")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def imap_login(mail_server, address, password):
    """An IMAP session as the account's mail client (a user added just now may need a moment,
    as in `deliver`)."""
    deadline = time.monotonic() + 8
    while True:
        client = imaplib.IMAP4(mail_server.host, mail_server.ports["imap"], timeout=10)
        client.starttls(ssl_context=ssl.create_default_context(cafile=str(mail_server.cert_path)))
        try:
            client.login(address, password)
            return client
        except imaplib.IMAP4.error:
            client.shutdown()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def append(mail_server, mailbox, folder, raw, *, when=None, flags=""):
    """APPEND `raw` into `folder` of the mailbox's server account (as a mail client would)."""
    client = imap_login(mail_server, mailbox.username, mailbox.server_password)
    try:
        stamp = time.mktime((when or datetime.now(UTC)).astimezone().timetuple())
        typ, data = client.append(f'"{folder}"', flags or None, imaplib.Time2Internaldate(stamp), raw)
        assert typ == "OK", data
    finally:
        client.logout()


def deliver(mail_server, mailbox, raw, sender="customer@customer.test", *, to=None):
    """Deliver through LMTP. Dovecot rereads its users file by mtime, so a user added within the
    same second may be unknown for a moment: a refusal is retried for up to 5 s."""
    recipient = to or mailbox.email_address
    deadline = time.monotonic() + 5
    while True:
        refused = mail_server.deliver(sender, [recipient], raw)
        if not refused or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not refused, refused
