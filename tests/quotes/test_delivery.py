"""Sending a quote by e-mail: one outbox row per sent quote with the PDF attached, the link to
the customer's page, the rep's name and Reply-To; delivered to a real SMTP server; retried after
a failure with the same attachment; its status readable later."""

import asyncio
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller

from activities import services as activity_services
from activities import tasks as activity_tasks
from activities.models import OutgoingEmail
from quotes import delivery, services
from quotes.models import Quote
from tests.quotes.pdf_mail_helpers import company, draft, line, send


@pytest.fixture(autouse=True)
def _addresses(settings):
    settings.CRM_BASE_URL = "https://crm.example.com"
    settings.DEFAULT_FROM_EMAIL = "Pipeline CRM <crm@nordlicht.example>"


@pytest.fixture
def seller(db):
    return company()


class Inbox:
    """An SMTP server on localhost that keeps what it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


@pytest.fixture
def sent(rep, seller):
    quote = draft(rep, [line("Lizenz", "3", "10.13")], title="Rollout Nord")
    return send(quote, rep, message="Guten Tag Frau Brandt,\n\nwie besprochen unser Angebot.")


def test_sending_queues_one_email_with_the_pdf_the_link_and_the_reps_name(sent, rep):
    quote, token = sent

    queued = OutgoingEmail.objects.get()

    assert queued.key == f"quote:{quote.pk}:sent"
    assert queued.to == "k.brandt@brandt.example"
    assert queued.subject == f"Angebot {quote.number}: Rollout Nord"
    assert queued.from_name == "Alice Adams"
    assert queued.reply_to == rep.email
    assert queued.attachment_name == f"Angebot-{quote.number}.pdf"
    assert queued.attachment_type == "application/pdf"
    assert queued.attachment.read() == quote.pdf.read()
    assert queued.body.startswith("Guten Tag Frau Brandt,\n\nwie besprochen unser Angebot.")
    assert f"https://crm.example.com/q/{token}/" in queued.body
    assert "36,16\N{NO-BREAK SPACE}€ brutto" in queued.body
    assert f"gültig bis einschließlich {quote.valid_until.day}." in queued.body


def test_the_default_subject_and_message_are_in_the_quotes_language(rep, seller):
    quote = draft(rep, [line("Licence", "1", "100.00")], language="en-gb", title="Rollout North")
    quote, token = send(quote, rep)

    queued = OutgoingEmail.objects.get()

    assert queued.subject == f"Quote {quote.number}: Rollout North"
    assert queued.body.startswith("Dear Katrin Brandt,\n\nThank you for your interest.")
    assert "€119.00 incl. VAT (€100.00 net)" in queued.body
    assert f"https://crm.example.com/q/{token}/" in queued.body
    assert queued.attachment_name == f"Quote-{quote.number}.pdf"


def test_the_reps_subject_is_used_on_one_line(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    send(quote, rep, subject="Ihr Angebot\r\nBcc: someone@attacker.example")

    assert OutgoingEmail.objects.get().subject == "Ihr Angebot Bcc: someone@attacker.example"


def test_an_invalid_address_sends_nothing_and_gives_no_number(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    with pytest.raises(services.QuoteError, match="not an e-mail address"):
        send(quote, rep, to="not an address")

    quote.refresh_from_db()
    assert (quote.state, quote.number) == (Quote.State.DRAFT, "")
    assert not OutgoingEmail.objects.exists()


def test_delivery_is_asked_for_when_the_sending_commits(rep, seller, monkeypatch, django_capture_on_commit_callbacks):
    asked = []
    monkeypatch.setattr(activity_tasks.deliver_outgoing_email, "delay", lambda: asked.append(True))
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    with django_capture_on_commit_callbacks(execute=True):
        send(quote, rep)

    assert asked == [True]


def test_the_email_is_delivered_through_smtp_with_the_pdf_attached(sent, rep, smtp_server):
    quote, token = sent

    assert activity_services.email_deliver_pending() == 1

    ((recipients, message),) = smtp_server.messages
    assert recipients == ["k.brandt@brandt.example"]
    assert message["From"] == "Alice Adams <crm@nordlicht.example>"
    assert message["Reply-To"] == rep.email
    assert message["Subject"] == f"Angebot {quote.number}: Rollout Nord"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"https://crm.example.com/q/{token}/" in body
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"Angebot-{quote.number}.pdf"
    assert attachment.get_content() == quote.pdf.read()
    status = delivery.email_status(quote)
    assert status.state == "sent" and status.sent_at is not None and status.attempts == 1


def test_a_refused_delivery_is_retried_with_the_same_attachment(sent, settings, smtp_server):
    quote, _token = sent
    working = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": "tests.activities.mail_backends.RefusingBackend"}}

    assert activity_services.email_deliver_pending() == 0
    status = delivery.email_status(quote)
    assert (status.state, status.attempts) == ("queued", 1)
    assert "unexpectedly closed" in status.last_error

    settings.MAILERS = working
    assert activity_services.email_deliver_pending() == 1
    ((_recipients, message),) = smtp_server.messages
    (attachment,) = message.iter_attachments()
    assert attachment.get_content() == quote.pdf.read()
    assert delivery.email_status(quote).state == "sent"


def test_delivery_is_given_up_after_the_last_attempt(sent, settings):
    quote, _token = sent
    settings.MAILERS = {"default": {"BACKEND": "tests.activities.mail_backends.RefusingBackend"}}
    settings.CRM_EMAIL_MAX_ATTEMPTS = 2

    activity_services.email_deliver_pending()
    activity_services.email_deliver_pending()

    status = delivery.email_status(quote)
    assert status.state == "failed" and status.failed_at is not None and status.attempts == 2


def test_an_attachment_missing_from_the_storage_fails_the_attempt_instead_of_sending_without_it(sent, smtp_server):
    quote, _token = sent
    queued = OutgoingEmail.objects.get()
    queued.attachment.storage.delete(queued.attachment.name)

    assert activity_services.email_deliver_pending() == 0

    assert smtp_server.messages == []
    assert delivery.email_status(quote).state == "queued"


def test_a_quote_never_sent_has_no_email_status(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    assert delivery.email_status(quote) is None


def test_the_statuses_of_several_quotes_are_read_in_one_query(rep, seller, django_assert_num_queries):
    first, _token = send(draft(rep, [line("Lizenz", "1", "100.00")]), rep)
    second, _token = send(draft(rep, [line("Lizenz", "1", "200.00")]), rep)
    unsent = draft(rep, [line("Lizenz", "1", "300.00")])

    with django_assert_num_queries(1):  # the outbox rows by key
        statuses = delivery.email_statuses([first, second, unsent])

    assert set(statuses) == {first.pk, second.pk}
    assert statuses[first.pk].state == "queued"


def test_an_outbox_email_without_sender_name_goes_out_as_before(rep, smtp_server):
    OutgoingEmail.objects.create(key="plain", user=rep, to="ada@example.com", subject="S", body="B")

    assert activity_services.email_deliver_pending() == 1

    ((_recipients, message),) = smtp_server.messages
    assert message["From"] == "Pipeline CRM <crm@nordlicht.example>"
    assert message["Reply-To"] is None
    assert not list(message.iter_attachments())


def test_the_reps_signature_closes_the_quote_email(rep, seller):
    rep.email_signature = "Alice Adams\nVertrieb Nord · +49 30 1234"
    rep.save(update_fields=["email_signature"])
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    send(quote, rep)

    body = OutgoingEmail.objects.get().body
    assert body.rstrip().endswith("\n-- \nAlice Adams\nVertrieb Nord · +49 30 1234")


def test_without_a_signature_the_quote_email_ends_with_the_generated_lines(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    send(quote, rep)

    assert "\n-- \n" not in OutgoingEmail.objects.get().body
