"""The shared BCC dropbox (messages routed to the user whose token they were sent to) and
delivery status notifications, synced from the real IMAP server."""

from datetime import UTC, datetime

import pytest

from mail import crypto, sync
from mail.bounces import record_bounces
from mail.models import Bounce, EmailMessage, Mailbox
from tests import factories
from tests.mail.messages import deliver, make_email

pytestmark = pytest.mark.mailserver


@pytest.fixture
def dropbox(db, mail_server, mail_settings, server_account):
    address, password = server_account("dropbox")
    return Mailbox.objects.create(
        kind=Mailbox.Kind.DROPBOX,
        email_address=address,
        imap_host=mail_server.host,
        imap_port=mail_server.ports["imap"],
        imap_security=Mailbox.Security.STARTTLS,
        username=address,
        secret=crypto.seal(password),
        status=Mailbox.Status.OK,
    )


def plus(address, token):
    local, domain = address.split("@")
    return f"{local}+{token}@{domain}"


def test_a_bcc_to_the_dropbox_is_stored_for_the_user_whose_token_it_carries(dropbox, mail_server, rep, teammate):
    rep_box = Mailbox.objects.create(user=rep, email_address="alice@crm.test")
    Mailbox.objects.create(user=teammate, email_address="bert@crm.test")
    raw = make_email("alice@crm.test", "anna@customer.test", "Offer from my phone")
    # Sent with the dropbox in Bcc: only the envelope (and the Delivered-To the server adds) has it.
    deliver(mail_server, dropbox, raw, sender="alice@crm.test", to=plus(dropbox.email_address, rep_box.dropbox_token))

    result = sync.sync_mailbox(dropbox)

    assert list(result.folders) == ["inbox"]  # the dropbox has no Sent folder to sync
    assert (result.folders["inbox"].new, result.folders["inbox"].skipped) == (1, 0)
    message = EmailMessage.objects.get()
    assert (message.owner, message.source, message.mailbox, message.direction) == (rep, "dropbox", dropbox, "out")
    assert message.subject == "Offer from my phone"


def test_a_forward_naming_the_token_in_to_is_routed_and_an_unknown_token_is_skipped(dropbox, mail_server, rep):
    rep_box = Mailbox.objects.create(user=rep, email_address="alice@crm.test")
    forwarded = make_email("anna@customer.test", plus(dropbox.email_address, rep_box.dropbox_token), "Fwd: question")
    unknown = make_email("anna@customer.test", plus(dropbox.email_address, "0000deadbeef0000"), "Lost")
    deliver(mail_server, dropbox, forwarded)
    deliver(mail_server, dropbox, unknown, to=plus(dropbox.email_address, "0000deadbeef0000"))

    result = sync.sync_mailbox(dropbox)

    assert (result.folders["inbox"].new, result.folders["inbox"].skipped) == (1, 1)
    assert list(EmailMessage.objects.values_list("owner", "subject", "direction")) == [(rep.pk, "Fwd: question", "in")]
    assert sync.sync_mailbox(dropbox).total("skipped") == 0  # the unknown one is not retried


def delivery_report(*, to, original_id, failed):
    return f"""From: Mail Delivery System <mailer-daemon@mx.customer.test>
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 30 Nov 2026 09:20:00 +0000
Message-ID: <dsn-{original_id.strip("<>")}@mx.customer.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"

--DSN
Content-Type: text/plain

Your message could not be delivered.

--DSN
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.test
Arrival-Date: Mon, 30 Nov 2026 09:19:58 +0000

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

Final-Recipient: rfc822; delayed@customer.test
Action: delayed
Status: 4.4.1

--DSN
Content-Type: text/rfc822-headers

From: {to}
To: {failed}
Subject: Our offer
Message-ID: {original_id}

--DSN--
""".encode()


def test_a_delivery_report_records_a_bounce_on_the_contact_and_marks_the_original_bounced(
    connect_mailbox, mail_server, rep
):
    mailbox = connect_mailbox(rep)
    contact = factories.ContactFactory(email="Former.Buyer@Customer.test")
    original = EmailMessage.objects.create(
        owner=rep,
        mailbox=mailbox,
        source="crm",
        message_id="<offer-7@crm.test>",
        direction="out",
        subject="Our offer",
        sent_at=datetime.now(UTC),
        delivery=EmailMessage.Delivery.SENT,
    )
    deliver(
        mail_server,
        mailbox,
        delivery_report(
            to=mailbox.email_address, original_id="<offer-7@crm.test>", failed="former.buyer@customer.test"
        ),
    )

    sync.sync_mailbox(mailbox)

    report = EmailMessage.objects.get(subject="Undelivered Mail Returned to Sender")
    bounce = Bounce.objects.get()
    assert (bounce.address, bounce.status, bounce.permanent) == ("former.buyer@customer.test", "5.1.1", True)
    assert bounce.diagnostic.startswith("550 5.1.1 <former.buyer@customer.test>: Recipient address rejected")
    assert (bounce.report, bounce.original, bounce.contact) == (report, original, contact)
    original.refresh_from_db()
    assert original.delivery == "bounced"
    assert "Recipient address rejected" in original.delivery_error

    with open(report.raw.path, "rb") as raw:
        record_bounces(report, raw.read())  # recording it again changes nothing
    assert Bounce.objects.count() == 1
