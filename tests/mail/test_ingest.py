"""Storing a message: files, attachment limits, participants, direction, linking, and the
(owner, Message-ID) identity, also when two runs race."""

import email.message
import threading

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from mail import ingest, linking
from mail.models import Attachment, EmailMessage, Mailbox


def customer_email(to="rep@crm.test", *, message_id="<m1@customer.test>", attachments=()):
    message = email.message.EmailMessage()
    message["From"] = "Anna Kunde <anna@customer.test>"
    message["To"] = to
    message["Cc"] = "Bob <bob@customer.test>"
    message["Subject"] = "Drawings"
    message["Date"] = "Mon, 30 Nov 2026 09:15:00 +0100"
    message["Message-ID"] = message_id
    message.set_content("Please find the drawings attached.")
    for name, payload in attachments:
        message.add_attachment(payload, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


@pytest.fixture
def mailbox(rep):
    return Mailbox.objects.create(user=rep, email_address="rep@crm.test")


def test_a_25_mb_attachment_is_kept_by_name_and_size_only_and_a_small_one_as_a_file(mailbox, rep, settings):
    settings.CRM_MAIL_MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024
    big = b"\x01" * (25 * 1024 * 1024)
    raw = customer_email(attachments=[("scan.pdf", big), ("note.txt", b"small note")])

    message, created = ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=raw)

    assert created and message.has_attachments
    scan, note = Attachment.objects.filter(message=message).order_by("id")
    assert (scan.filename, scan.size, scan.omitted, bool(scan.file)) == ("scan.pdf", 25 * 1024 * 1024, True, False)
    assert (note.filename, note.size, note.omitted) == ("note.txt", 10, False)
    with default_storage.open(note.file.name) as stored:
        assert stored.read() == b"small note"
    assert default_storage.size(message.raw.name) == len(raw) == message.size


def test_participants_and_direction_follow_the_mailbox_address(mailbox, rep):
    inbound, _ = ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=customer_email())
    own = customer_email(message_id="<m2@crm.test>").replace(
        b"From: Anna Kunde <anna@customer.test>", b"From: REP@crm.test"
    )
    outbound, _ = ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=own)

    assert (inbound.direction, outbound.direction) == ("in", "out")
    assert sorted(inbound.participants.values_list("role", "name", "address")) == [
        ("cc", "Bob", "bob@customer.test"),
        ("from", "Anna Kunde", "anna@customer.test"),
        ("to", "", "rep@crm.test"),
    ]
    assert inbound.cc == [{"name": "Bob", "address": "bob@customer.test"}]


def test_a_stored_message_is_linked_once_and_a_second_copy_changes_nothing(mailbox, rep, monkeypatch):
    linked = []
    real_link = linking.link_message
    monkeypatch.setattr(linking, "link_message", lambda message: linked.append(message.pk) or real_link(message))

    first, created = ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=customer_email())
    again, created_again = ingest.store_message(
        mailbox=mailbox, owner=rep, source="inbox", raw=customer_email(to="x@y.z")
    )

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert linked == [first.pk]
    assert EmailMessage.objects.get().to == [{"name": "", "address": "rep@crm.test"}]


def test_the_same_message_id_is_a_separate_message_for_another_owner(mailbox, rep, teammate):
    other = Mailbox.objects.create(user=teammate, email_address="mate@crm.test")
    ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=customer_email())
    _message, created = ingest.store_message(mailbox=other, owner=teammate, source="inbox", raw=customer_email())
    assert created
    assert EmailMessage.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_storing_the_same_message_at_once_store_it_once(rep, monkeypatch):
    mailbox = Mailbox.objects.create(user=rep, email_address="rep@crm.test")
    both_checked = threading.Barrier(2, timeout=10)
    real_name = ingest._eml_name

    def name_after_both_looked(message_id):
        both_checked.wait()  # both runs have found no row and go on to insert
        return real_name(message_id)

    monkeypatch.setattr(ingest, "_eml_name", name_after_both_looked)
    results = []

    def store():
        try:
            results.append(ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=customer_email()))
        finally:
            connection.close()

    threads = [threading.Thread(target=store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(created for _message, created in results) == [False, True]
    assert len({message.pk for message, _created in results}) == 1
    assert EmailMessage.objects.count() == 1
    assert Attachment.objects.count() == 0


def test_nul_bytes_control_characters_and_odd_file_names_are_stored(mailbox, rep):
    raw = (
        b"From: Eve\x00 <eve@customer.test>\nSubject: Null\x00 and\x07 bell\nMessage-ID: <nul@x>\n"
        b"Date: Mon, 30 Nov 2026 09:15:00 +0100\nContent-Type: multipart/mixed; boundary=B\n\n"
        b"--B\nContent-Type: text/plain; charset=utf-8\n\nText\x00with NUL \xed\xa0\x80 and a lone surrogate\n"
        b'--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="???"\n\nabc\n'
        b'--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/passwd"\n\n'
        b"def\n--B--\n"
    )

    message, created = ingest.store_message(mailbox=mailbox, owner=rep, source="inbox", raw=raw)

    message.refresh_from_db()
    assert created
    assert (message.subject, message.from_name) == ("Null and bell", "Eve")
    assert message.text_body.startswith("Textwith NUL")
    names = list(message.attachments.order_by("id").values_list("filename", "file"))
    assert [name for name, _file in names] == ["???", "_.._etc_passwd"]
    assert all(file.startswith("mail/attachments/") and ".." not in file.split("/")[-1][:2] for _name, file in names)
