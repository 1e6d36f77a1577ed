"""A quote's e-mail goes through the rep's own mailbox when it is connected (from the rep's
address, PDF attached, recorded on the deal, copied to Sent); otherwise through the product's
outbox as before, and recorded on the deal too. The quote PDFs are offered to the e-mail form."""

import time

import pytest

from activities import services as activity_services
from activities.models import OutgoingEmail
from mail import attachments, sending
from mail.models import EmailMessage
from quotes import delivery
from tests.mail.test_sending import fetch_all
from tests.quotes.pdf_mail_helpers import company, draft, line, send


@pytest.fixture
def seller(db, settings):
    settings.CRM_BASE_URL = "https://crm.example.com"
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@nordlicht.example>"
    return company()


@pytest.mark.mailserver
def test_with_a_connected_mailbox_the_quote_goes_out_from_the_reps_address(
    connect_mailbox, server_account, mail_server, rep, seller
):
    customer, password = server_account("buyer")
    time.sleep(1.1)  # the next account in another second (Dovecot rereads its users by mtime)
    mailbox = connect_mailbox(rep)
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    quote, _token = send(quote, rep, to=customer)

    assert not OutgoingEmail.objects.exists(), "not through the installation's outbox"
    message = EmailMessage.objects.get()
    assert (message.deal, message.from_address, message.mailbox) == (quote.deal, mailbox.email_address, mailbox)
    assert delivery.email_status(quote).state == "queued"

    assert sending.deliver(message.pk) == EmailMessage.Delivery.SENT

    [(_flags, received)] = fetch_all(mail_server, customer, password)
    assert received["Subject"] == f"Angebot {quote.number}: Rollout Nord"
    [pdf] = list(received.iter_attachments())
    assert pdf.get_filename() == f"Angebot-{quote.number}.pdf"
    assert pdf.get_content() == quote.pdf.read()
    [(_flags, copy)] = fetch_all(mail_server, mailbox.email_address, mailbox.server_password, "Sent")
    assert copy["Message-ID"] == message.message_id
    assert delivery.email_status(quote).state == "sent"
    assert delivery.email_statuses([quote])[quote.pk].state == "sent"


def test_without_a_mailbox_the_outbox_sends_it_and_the_deal_records_it(rep, seller, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    quote, _token = send(quote, rep)

    row = OutgoingEmail.objects.get()
    message = EmailMessage.objects.get()
    assert (message.outbox, message.deal, message.delivery) == (row, quote.deal, EmailMessage.Delivery.QUEUED)
    assert message.reply_to == rep.email and message.from_address == "crm@nordlicht.example"
    assert message.attachments.get().filename == f"Angebot-{quote.number}.pdf"
    assert sending.deliver(message.pk) is None, "the outbox delivers it, not the mail app"

    assert activity_services.email_deliver_pending() == 1
    sending.outbox_delivery([message])
    message.refresh_from_db()
    assert message.delivery == EmailMessage.Delivery.SENT


def test_the_deals_quote_pdfs_are_offered_to_the_email_form(rep, seller):
    quote, _token = send(draft(rep, [line("Lizenz", "1", "100.00")]), rep)
    unsent = draft(rep, [line("Lizenz", "1", "1.00")])

    options = attachments.options(user=rep, deal=quote.deal)

    assert options == [(f"quote:{quote.pk}", f"Quote PDF {quote.number}")]
    [(name, content_type, content)] = attachments.files(user=rep, deal=quote.deal, choices=[f"quote:{quote.pk}"])
    assert (name, content_type, content) == (f"Angebot-{quote.number}.pdf", "application/pdf", quote.pdf.read())
    assert attachments.files(user=rep, deal=quote.deal, choices=[f"quote:{unsent.pk}", "quote:x"]) == []
