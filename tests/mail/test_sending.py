"""Sending an e-mail written in the CRM through the user's own SMTP server (the real development
server: Dovecot behind an SMTP front), with the Sent copy APPENDed over IMAP; the installation's
mailer when no mailbox is connected; failures and retries."""

import email
import imaplib
import smtplib
import time
from datetime import timedelta
from email import policy

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mail import connection, sending
from mail.models import EmailMessage, MailFolder, Participant
from tests import factories

pytestmark = pytest.mark.mailserver

PDF = b"%PDF-1.7 offer\n" + bytes(range(256)) * 20


def fetch_all(mail_server, address, password, folder="INBOX"):
    """Every message in `folder` of the account, parsed, read with imaplib as a mail client does."""
    client = imaplib.IMAP4(mail_server.host, mail_server.ports["imap"])
    client.starttls(ssl_context=connection.tls_context())
    client.login(address, password)
    try:
        client.select(f'"{folder}"', readonly=True)
        _status, data = client.uid("SEARCH", None, "ALL")
        found = []
        for uid in data[0].split():
            _status, parts = client.uid("FETCH", uid, "(FLAGS RFC822)")
            flags = parts[0][0].decode()
            found.append((flags, email.message_from_bytes(parts[0][1], policy=policy.default)))
        return found
    finally:
        client.logout()


@pytest.fixture
def customer(server_account):
    """A customer's account. Dovecot sees a changed passwd-file by its mtime in whole seconds:
    the next account (the rep's) is added in another second, so that both are seen."""
    account = server_account("customer")
    time.sleep(1.1)
    return account


def test_a_message_with_an_attachment_reaches_the_inbox_and_is_copied_to_sent(
    connect_mailbox, rep, customer, mail_server, django_capture_on_commit_callbacks
):
    mailbox = connect_mailbox(rep, signature="Alice Adams")
    deal = factories.DealFactory(owner=rep, title="Rollout Nord")
    address, password = customer

    message = sending.send_email(
        sender=rep,
        to=f"Katrin Brandt <{address}>",
        subject="Ihr Angebot",
        text="Guten Tag Frau Brandt,\n\nanbei das Angebot <wie besprochen>.",
        attachments=[("Angebot.pdf", "application/pdf", PDF)],
        deal=deal,
    )
    assert message.delivery == EmailMessage.Delivery.QUEUED
    assert sending.deliver(message.pk) == EmailMessage.Delivery.SENT

    [(_flags, received)] = fetch_all(mail_server, address, password)
    assert received["Subject"] == "Ihr Angebot"
    assert received["Message-ID"] == message.message_id
    assert received["From"].addresses[0].addr_spec == mailbox.email_address
    assert received.get_body(("plain",)).get_content().startswith("Guten Tag Frau Brandt,")
    assert "&lt;wie besprochen&gt;" in received.get_body(("html",)).get_content()
    [attachment] = list(received.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("Angebot.pdf", PDF)

    [(flags, copy)] = fetch_all(mail_server, mailbox.email_address, mailbox.server_password, "Sent")
    assert "\\Seen" in flags
    assert copy["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.delivery == EmailMessage.Delivery.SENT
    assert message.sent_copy_at is not None
    assert message.message_id.endswith(f"@{mailbox.email_address.split('@')[1]}>")
    assert (message.deal, message.has_attachments, message.attachments.get().size) == (deal, True, len(PDF))
    assert set(Participant.objects.filter(message=message).values_list("role", "address")) == {
        ("from", mailbox.email_address),
        ("to", address),
    }


def test_a_refused_recipient_fails_the_message_with_the_servers_550(connect_mailbox, rep):
    connect_mailbox(rep)
    message = sending.send_email(sender=rep, to="nobody-here@crm.test", subject="Hallo", text="Test")

    assert sending.deliver(message.pk) == EmailMessage.Delivery.FAILED

    message.refresh_from_db()
    assert message.delivery == EmailMessage.Delivery.FAILED
    assert "550" in message.delivery_error and "5.1.1" in message.delivery_error
    assert message.next_attempt_at is None
    assert sending.deliver(message.pk) is None, "a failed message is not sent again"


def test_without_a_connected_mailbox_the_installation_sends_with_the_users_reply_to(rep, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@nordlicht.example>"
    message = sending.send_email(sender=rep, to="k.brandt@brandt.example", subject="Hallo", text="Zeile 1\nZeile 2")

    assert sending.deliver(message.pk) == EmailMessage.Delivery.SENT

    [sent] = django_mail.outbox
    assert sent.from_email == "Alice Adams <crm@nordlicht.example>"
    assert sent.reply_to == [rep.email]
    assert sent.extra_headers["Message-ID"] == message.message_id
    assert sent.alternatives[0].content == "<p>Zeile 1<br>Zeile 2</p>"
    message.refresh_from_db()
    assert (message.mailbox, message.sent_copy_at, message.delivery) == (None, None, EmailMessage.Delivery.SENT)


def test_a_reply_continues_the_thread_headers_and_does_not_double_re(connect_mailbox, rep, customer, mail_server):
    connect_mailbox(rep)
    address, password = customer
    original = EmailMessage.objects.create(
        owner=rep,
        source=EmailMessage.Source.INBOX,
        message_id="<second@brandt.example>",
        references="<first@crm.test>",
        direction=EmailMessage.Direction.INBOUND,
        subject="AW: Re: Ihr Angebot",
        from_address=address,
        sent_at=timezone.now(),
    )

    reply = sending.send_email(
        sender=rep, to=address, subject=sending.reply_subject(original.subject), text="Danke!", in_reply_to=original
    )
    sending.deliver(reply.pk)

    [(_flags, received)] = fetch_all(mail_server, address, password)
    assert received["Subject"] == "Re: Ihr Angebot"
    assert received["In-Reply-To"] == "<second@brandt.example>"
    assert received["References"] == "<first@crm.test> <second@brandt.example>"


def test_the_sent_copy_goes_to_the_folder_the_sync_knows(connect_mailbox, rep, customer, mail_server):
    mailbox = connect_mailbox(rep)
    MailFolder.objects.create(mailbox=mailbox, role=MailFolder.Role.SENT, name="INBOX")
    message = sending.send_email(sender=rep, to=customer[0], subject="Kopie", text="x")

    sending.deliver(message.pk)

    subjects = [m["Subject"] for _f, m in fetch_all(mail_server, mailbox.email_address, mailbox.server_password)]
    assert subjects == ["Kopie"]


def test_a_temporary_failure_is_retried_later_and_a_claimed_message_is_not_sent_again(connect_mailbox, rep, customer):
    connect_mailbox(rep, smtp_port=1)  # nothing answers: a connection error, temporary
    message = sending.send_email(sender=rep, to=customer[0], subject="Später", text="x")

    assert sending.deliver(message.pk) == EmailMessage.Delivery.QUEUED
    message.refresh_from_db()
    assert message.attempts == 1 and "SMTP" in message.delivery_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert sending.deliver(message.pk) is None, "not before its next attempt"

    later = message.next_attempt_at + timedelta(seconds=1)
    assert sending.claim(message.pk, now=later) is not None
    assert sending.claim(message.pk, now=later) is None, "held by the first claim"


def test_a_message_held_by_a_dead_worker_is_sent_after_the_lease(connect_mailbox, rep, customer, settings):
    connect_mailbox(rep)
    message = sending.send_email(sender=rep, to=customer[0], subject="Lease", text="x")
    assert sending.claim(message.pk) is not None  # the worker that then died

    assert sending.deliver_pending() == 0
    late = timezone.now() + timedelta(seconds=settings.CRM_MAIL_SEND_LEASE_SECONDS + 1)
    assert sending.deliver_pending(now=late) == 1
    message.refresh_from_db()
    assert (message.delivery, message.attempts) == (EmailMessage.Delivery.SENT, 2)


def test_a_wrong_password_fails_at_once_and_says_so(connect_mailbox, rep, customer):
    from mail import crypto

    connect_mailbox(rep, secret=crypto.seal("not-the-password"))
    message = sending.send_email(sender=rep, to=customer[0], subject="x", text="x")

    assert sending.deliver(message.pk) == EmailMessage.Delivery.FAILED
    message.refresh_from_db()
    assert "refused the user name or password" in message.delivery_error


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("to", "not an address", "Not an e-mail address"),
        ("to", "", "at least one recipient"),
        ("cc", "a@b.example, nonsense", "nonsense"),
        ("subject", "   ", "Enter a subject"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(rep, field, value, error):
    kwargs = {"to": "k@brandt.example", "cc": "", "subject": "Hallo"} | {field: value}

    with pytest.raises(ValidationError) as refused:
        sending.send_email(sender=rep, text="x", **kwargs)

    assert error in " ".join(refused.value.message_dict[field])
    assert not EmailMessage.objects.exists()


def test_attachments_over_the_limit_are_refused(rep, settings):
    settings.CRM_MAIL_MAX_ATTACHMENT_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        sending.send_email(
            sender=rep, to="k@b.example", subject="x", text="x", attachments=[("big.bin", "", b"x" * 1001)]
        )
    assert "big.bin" in refused.value.message_dict["attachments"][0]


def test_html_is_sanitised_and_sent_as_the_alternative(rep, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    message = sending.send_email(
        sender=rep,
        to="k@b.example",
        subject="x",
        text="Hallo",
        html='<p onclick="steal()">Hallo <script>alert(1)</script><b>Welt</b></p>',
    )
    assert message.html_body == "<p>Hallo <b>Welt</b></p>"
    sending.deliver(message.pk)
    assert django_mail.outbox[0].alternatives[0].content == "<p>Hallo <b>Welt</b></p>"


def test_reply_subject_adds_re_once():
    assert sending.reply_subject("Angebot") == "Re: Angebot"
    assert sending.reply_subject("RE: AW: Angebot") == "Re: Angebot"
    assert sending.reply_subject("Re[2]: Angebot") == "Re: Angebot"


def test_smtp_errors_are_told_apart():
    refused = smtplib.SMTPRecipientsRefused({"a@b": (550, b"5.1.1 unknown")})
    assert sending._classify(refused).permanent
    assert not sending._classify(smtplib.SMTPDataError(451, b"4.3.0 try later")).permanent
    assert not sending._classify(ConnectionRefusedError()).permanent
