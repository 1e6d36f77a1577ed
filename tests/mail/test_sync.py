"""Syncing INBOX and Sent from the real IMAP server (Dovecot): new messages, re-runs,
UIDVALIDITY changes, the \\Seen flag, the first-sync window, the Sent copy of a CRM message,
duplicate Message-IDs and messages above the size limit."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage

from mail import sync
from mail.models import EmailMessage, Mailbox, MailFolder, Participant
from tests.mail.messages import append, deliver, imap_login, make_email

pytestmark = pytest.mark.mailserver


def test_new_messages_are_synced_from_the_inbox_and_the_sent_folder(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    deliver(mail_server, mailbox, make_email("Anna Kunde <Anna@Customer.test>", mailbox.email_address, "Offer?"))
    deliver(mail_server, mailbox, make_email("bob@customer.test", mailbox.email_address, "Visit", cc="c@customer.test"))
    append(mail_server, mailbox, "Sent", make_email(mailbox.email_address, "anna@customer.test", "Re: Offer?"))

    result = sync.sync_mailbox(mailbox)

    assert result.ok, result.summary()
    assert (result.folders["inbox"].new, result.folders["sent"].new) == (2, 1)
    assert result.folders["sent"].name == "Sent"  # found by its \Sent flag
    inbox = EmailMessage.objects.filter(owner=rep, source="inbox").order_by("uid")
    assert [(m.subject, m.direction, m.from_address, m.from_name) for m in inbox] == [
        ("Offer?", "in", "anna@customer.test", "Anna Kunde"),
        ("Visit", "in", "bob@customer.test", ""),
    ]
    sent = EmailMessage.objects.get(owner=rep, source="sent")
    assert (sent.direction, sent.subject, sent.to) == (
        "out",
        "Re: Offer?",
        [{"name": "", "address": "anna@customer.test"}],
    )
    assert sorted(Participant.objects.filter(message=inbox[1]).values_list("role", "address")) == [
        ("cc", "c@customer.test"),
        ("from", "bob@customer.test"),
        ("to", mailbox.email_address.lower()),
    ]
    with default_storage.open(inbox[0].raw.name) as raw:
        assert b"Subject: Offer?" in raw.read()
    assert inbox[0].text_body.strip() == "Hello" and inbox[0].snippet == "Hello"
    mailbox.refresh_from_db()
    assert (mailbox.status, mailbox.failure_count, mailbox.last_synced_at is not None) == ("ok", 0, True)
    assert set(MailFolder.objects.filter(mailbox=mailbox).values_list("role", "last_uid")) == {
        ("inbox", 2),
        ("sent", 1),
    }


def test_a_second_run_stores_nothing_twice_and_takes_only_what_is_new(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    for n in range(3):
        deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, f"Mail {n}"))
    assert sync.sync_mailbox(mailbox).total("new") == 3

    again = sync.sync_mailbox(mailbox)
    assert (again.total("new"), again.total("duplicates")) == (0, 0)

    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Mail 3"))
    third = sync.sync_mailbox(mailbox)
    assert (third.total("new"), third.total("duplicates")) == (1, 0)
    assert EmailMessage.objects.filter(owner=rep).count() == 4


def test_the_sync_leaves_messages_unread_on_the_server(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Unread"))
    assert sync.sync_mailbox(mailbox).total("new") == 1

    client = imap_login(mail_server, mailbox.username, mailbox.server_password)
    client.select("INBOX", readonly=True)
    _typ, data = client.fetch("1:*", "(FLAGS)")
    client.logout()
    assert b"\\Seen" not in data[0]


def _reset_uidvalidity(mail_server, address):
    """Remove Dovecot's UID list and indexes: the server assigns the folder a new UIDVALIDITY
    and new UIDs to the same messages."""
    maildir = mail_server.maildir(address)
    removed = [
        path
        for path in maildir.iterdir()
        if path.name.startswith(("dovecot-uidlist", "dovecot.index", "dovecot-uidvalidity"))
    ]
    for path in removed:
        path.unlink()
    assert removed


def test_a_changed_uidvalidity_refetches_the_folder_without_duplicates(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep, sent_folder="Sent")
    for n in range(3):
        deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, f"Before {n}"))
    sync.sync_mailbox(mailbox)
    inbox = MailFolder.objects.get(mailbox=mailbox, role="inbox")
    before = inbox.uidvalidity

    time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock
    _reset_uidvalidity(mail_server, mailbox.email_address)
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "After"))
    result = sync.sync_mailbox(mailbox)

    inbox.refresh_from_db()
    assert inbox.uidvalidity != before
    assert result.folders["inbox"].uidvalidity_changed
    assert (result.folders["inbox"].new, result.folders["inbox"].duplicates) == (1, 3)
    assert sorted(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True)) == [
        "After",
        "Before 0",
        "Before 1",
        "Before 2",
    ]
    assert sync.sync_mailbox(mailbox).total("new") == 0


def test_the_first_sync_takes_only_the_last_days_and_later_runs_continue_from_there(
    connect_mailbox, mail_server, rep, settings
):
    settings.CRM_MAIL_FIRST_SYNC_DAYS = 30
    mailbox = connect_mailbox(rep)
    old = datetime.now(UTC) - timedelta(days=45)
    append(
        mail_server,
        mailbox,
        "INBOX",
        make_email("anna@customer.test", mailbox.email_address, "Old", date=old),
        when=old,
    )
    append(mail_server, mailbox, "INBOX", make_email("anna@customer.test", mailbox.email_address, "Recent"))

    first = sync.sync_mailbox(mailbox)

    assert list(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True)) == ["Recent"]
    assert first.folders["inbox"].new == 1
    assert MailFolder.objects.get(mailbox=mailbox, role="inbox").last_uid == 2
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Later"))
    sync.sync_mailbox(mailbox)
    assert sorted(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True)) == ["Later", "Recent"]


def test_the_sent_copy_of_a_message_written_in_the_crm_completes_that_message(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    written = EmailMessage.objects.create(
        owner=rep,
        mailbox=mailbox,
        source=EmailMessage.Source.CRM,
        message_id="<offer-1@crm.test>",
        direction="out",
        subject="Our offer",
        sent_at=datetime.now(UTC),
        delivery=EmailMessage.Delivery.SENT,
    )
    raw = make_email(mailbox.email_address, "anna@customer.test", "Our offer", message_id="<offer-1@crm.test>")
    append(mail_server, mailbox, "Sent", raw, flags="(\\Seen)")

    result = sync.sync_mailbox(mailbox)

    assert (result.folders["sent"].new, result.folders["sent"].duplicates) == (0, 1)
    written.refresh_from_db()
    assert (written.source, written.uid, written.folder.role, written.delivery) == ("crm", 1, "sent", "sent")
    assert written.raw and default_storage.exists(written.raw.name)
    assert EmailMessage.objects.filter(owner=rep).count() == 1


def test_a_second_message_with_the_same_message_id_is_counted_not_stored(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    deliver(
        mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "First", message_id="<same@x>")
    )
    deliver(mail_server, mailbox, make_email("eve@other.test", mailbox.email_address, "Second", message_id="<same@x>"))

    result = sync.sync_mailbox(mailbox)

    assert (result.folders["inbox"].new, result.folders["inbox"].duplicates) == (1, 1)
    assert list(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True)) == ["First"]


def test_a_message_above_the_size_limit_keeps_its_headers_and_first_text(connect_mailbox, mail_server, rep, settings):
    settings.CRM_MAIL_MAX_MESSAGE_BYTES = 400 * 1024
    mailbox = connect_mailbox(rep)
    message = email_with_attachment(mailbox.email_address, size=600 * 1024)
    deliver(mail_server, mailbox, message)

    result = sync.sync_mailbox(mailbox)

    assert result.total("new") == 1
    stored = EmailMessage.objects.get(owner=rep)
    assert stored.subject == "Big drawing" and stored.text_body.strip() == "See the drawing."
    assert stored.size >= 600 * 1024 and stored.has_attachments
    assert not stored.attachments.exists()  # only their start was fetched
    assert "only the headers and the first text" in stored.problems
    assert default_storage.size(stored.raw.name) <= 256 * 1024


def email_with_attachment(to, *, size):
    import email.message

    message = email.message.EmailMessage()
    message["From"] = "anna@customer.test"
    message["To"] = to
    message["Subject"] = "Big drawing"
    message["Message-ID"] = "<big-drawing@customer.test>"
    message.set_content("See the drawing.")
    message.add_attachment(b"\x00" * size, maintype="application", subtype="octet-stream", filename="drawing.bin")
    return message.as_bytes()


def test_a_mailbox_without_a_connection_is_not_synced(rep):
    mailbox = Mailbox.objects.create(user=rep)
    result = sync.sync_mailbox(mailbox)
    assert result.skipped_reason == "not connected"
    assert not MailFolder.objects.exists()


def test_a_folder_with_a_non_ascii_name_is_synced(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep, inbox_folder="Kunden/Müller & Söhne")
    client = imap_login(mail_server, mailbox.username, mailbox.server_password)
    assert client.create('"Kunden/M&APw-ller &- S&APY-hne"')[0] == "OK"
    client.logout()
    append(
        mail_server,
        mailbox,
        "Kunden/M&APw-ller &- S&APY-hne",
        make_email("m@customer.test", mailbox.email_address, "Ü"),
    )

    result = sync.sync_mailbox(mailbox)

    assert result.ok, result.summary()
    assert list(EmailMessage.objects.filter(owner=rep).values_list("subject", flat=True)) == ["Ü"]
