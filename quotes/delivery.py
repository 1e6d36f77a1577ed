"""Sending a quote by e-mail. When the rep's mailbox is connected it goes through the mail app
(mail.sending): from the rep's own address and SMTP server, the PDF attached, recorded on the
deal as an e-mail and copied to the rep's Sent folder. Otherwise it goes through the product's
outbox (activities.OutgoingEmail): the row is written in the transaction that sends the quote,
with the PDF as its attachment, and delivered under a lease with retries like every other
e-mail (docs/activities.md), from the installation's address with the rep's name and the rep
as Reply-To; it is recorded on the deal as an e-mail too. Either way the message is written in
the transaction that sends the quote: if the sending fails later in it, nothing goes out.

The e-mail is written in the quote's language from templates/quotes/email/quote_<lang>.txt:
the rep's message (or a default one), the link to the customer's page and the validity.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from activities import tasks as activity_tasks
from activities.models import OutgoingEmail
from mail import sending as mail_sending
from mail.models import EmailMessage
from quotes import pdf as quote_pdf
from quotes.errors import QuoteError

SUBJECTS = {"de": "Angebot {number}: {title}", "en": "Quote {number}: {title}"}
TEMPLATES = {"de": "quotes/email/quote_de.txt", "en": "quotes/email/quote_en.txt"}
GREETINGS = {
    "de": ("Guten Tag {name},", "Guten Tag,"),
    "en": ("Dear {name},", "Hello,"),
}
DEFAULT_MESSAGES = {
    "de": "vielen Dank für Ihr Interesse. Anbei erhalten Sie unser Angebot wie besprochen.",
    "en": "Thank you for your interest. Please find our quote attached, as discussed.",
}


def validate_address(address):
    """Refuse what is not one e-mail address (QuoteError, 400)."""
    try:
        validate_email(address)
    except ValidationError:
        raise QuoteError(_("%(address)s is not an e-mail address.") % {"address": address}) from None


def _language(quote):
    return "de" if (quote.language or settings.LANGUAGE_CODE).startswith("de") else "en"


def _one_line(text):
    """Header values never contain line breaks (they would fail every delivery attempt)."""
    return " ".join(str(text or "").split())


def email_key(quote):
    """The outbox key: one e-mail per sent quote (a revision is a quote of its own)."""
    return f"quote:{quote.pk}:sent"


def public_url(token):
    """The absolute address of the customer's page of a quote, /q/<token>/."""
    try:
        path = reverse("quotes:public", kwargs={"token": token})
    except NoReverseMatch:
        path = f"/q/{token}/"
    return settings.CRM_BASE_URL.rstrip("/") + path


def default_subject(quote):
    """ "Angebot AN-2026-0001: <title>" in the quote's language."""
    return SUBJECTS[_language(quote)].format(number=quote.display_number, title=quote.title)


def default_message(quote):
    """The message the rep starts from (the sending form shows it for editing)."""
    language = _language(quote)
    contact = (quote.buyer or {}).get("contact") or (
        f"{quote.deal.contact.first_name} {quote.deal.contact.last_name}".strip() if quote.deal.contact_id else ""
    )
    named, anonymous = GREETINGS[language]
    greeting = named.format(name=contact) if contact else anonymous
    return f"{greeting}\n\n{DEFAULT_MESSAGES[language]}"


def _sender_name(sender):
    return _one_line(sender.get_full_name() or sender.get_username()) if sender else ""


def compose(*, quote, token, sender, subject="", message=""):
    """(subject, body) of the quote's e-mail, in the quote's language."""
    language = _language(quote)
    subject = _one_line(subject) or default_subject(quote)
    seller = quote.seller or {}
    with translation.override(quote.language or settings.LANGUAGE_CODE):
        body = render_to_string(
            TEMPLATES[language],
            {
                "quote": quote,
                "message": (message or "").strip() or default_message(quote),
                "url": public_url(token),
                "sender_name": _sender_name(sender),
                "sender_email": sender.email if sender else "",
                # The rep's own signature (their profile) replaces the generated contact lines.
                "signature": (sender.email_signature or "").strip() if sender else "",
                "company": " ".join(part for part in (seller.get("company_name"), seller.get("legal_form")) if part),
                "phone": seller.get("phone", ""),
                "file_name": quote_pdf.file_name(quote),
            },
        )
    return subject[:300], body


def message_idstring(quote):
    """What the Message-ID of the quote's e-mail contains (sent through the rep's mailbox)."""
    return f"quote-{quote.pk}"


def queue_quote_email(*, quote, token, sender, subject="", message="", pdf):
    """Queue the quote's e-mail to `quote.recipient_email` with `pdf` attached, in the caller's
    transaction (quote_send): if sending fails later in that transaction, nothing is queued.
    Delivery is asked for once the transaction commits. Returns the mail app's EmailMessage
    when the rep's mailbox is connected, else the outbox row (recorded as an EmailMessage too)."""
    subject, body = compose(quote=quote, token=token, sender=sender, subject=subject, message=message)
    if sender is not None and mail_sending.has_connected_mailbox(sender):
        return mail_sending.send_email(
            sender=sender,
            to=quote.recipient_email,
            subject=subject,
            text=body,
            attachments=[(quote_pdf.file_name(quote), "application/pdf", pdf)],
            deal=quote.deal,
            idstring=message_idstring(quote),
        )
    email = OutgoingEmail(
        key=email_key(quote),
        user=sender,
        to=quote.recipient_email,
        subject=subject,
        body=body,
        from_name=_sender_name(sender)[:200],
        reply_to=sender.email if sender and sender.email else "",
        attachment_name=quote_pdf.file_name(quote),
        attachment_type="application/pdf",
    )
    email.attachment.save(quote_pdf.file_name(quote), ContentFile(pdf), save=False)
    email.save()
    if sender is not None:
        mail_sending.record_outbox_email(sender=sender, outbox=email, deal=quote.deal)
    transaction.on_commit(activity_tasks.deliver_outgoing_email.delay)
    return email


# --- how the delivery went ------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailStatus:
    """Where the quote's e-mail is: "queued" (not yet accepted by the mail server, `attempts`
    and `last_error` tell why), "sent" (accepted at `sent_at`) or "failed" (given up at
    `failed_at` after CRM_EMAIL_MAX_ATTEMPTS)."""

    state: str
    to: str
    queued_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    attempts: int
    last_error: str

    @classmethod
    def of_message(cls, message):
        """The status of a quote e-mail sent through the rep's mailbox (mail.EmailMessage)."""
        Delivery = EmailMessage.Delivery
        state = {Delivery.SENT: "sent", Delivery.FAILED: "failed", Delivery.BOUNCED: "failed"}.get(
            message.delivery, "queued"
        )
        return cls(
            state=state,
            to=", ".join(entry["address"] for entry in message.to),
            queued_at=message.created_at,
            sent_at=message.sent_at if state == "sent" else None,
            failed_at=message.sent_at if state == "failed" else None,
            attempts=message.attempts,
            last_error=message.delivery_error,
        )

    @classmethod
    def of(cls, email):
        state = "sent" if email.sent_at else "failed" if email.failed_at else "queued"
        return cls(
            state=state,
            to=email.to,
            queued_at=email.created_at,
            sent_at=email.sent_at,
            failed_at=email.failed_at,
            attempts=email.attempts,
            last_error=email.last_error,
        )


STATUS_FIELDS = ("key", "to", "created_at", "sent_at", "failed_at", "attempts", "last_error")


def _mailbox_messages(quotes):
    """{quote id: EmailMessage} of the sent quotes' e-mails that went through the reps'
    mailboxes (one query; none when no quote was sent)."""
    markers = {f".{message_idstring(quote)}@": quote.pk for quote in quotes if quote.sent_at}
    if not markers:
        return {}
    matches = Q()
    for marker in markers:
        matches |= Q(message_id__contains=marker)
    rows = EmailMessage.objects.filter(
        matches, source=EmailMessage.Source.CRM, deal_id__in={quote.deal_id for quote in quotes}
    ).order_by("pk")
    found = {}
    for row in rows:
        for marker, quote_id in markers.items():
            if marker in row.message_id:
                found[quote_id] = row
    return found


def email_status(quote):
    """The delivery of the quote's e-mail (EmailStatus), or None when none was queued."""
    email = OutgoingEmail.objects.filter(key=email_key(quote)).only(*STATUS_FIELDS).first()
    if email is not None:
        return EmailStatus.of(email)
    message = _mailbox_messages([quote]).get(quote.pk)
    return EmailStatus.of_message(message) if message is not None else None


def email_statuses(quotes):
    """{quote id: EmailStatus} for several quotes: one query for the outbox rows, and one for
    the sent quotes without one (sent through the rep's mailbox)."""
    keys = {email_key(quote): quote.pk for quote in quotes}
    rows = OutgoingEmail.objects.filter(key__in=keys).only(*STATUS_FIELDS)
    statuses = {keys[row.key]: EmailStatus.of(row) for row in rows}
    through_mailbox = _mailbox_messages([quote for quote in quotes if quote.pk not in statuses])
    return statuses | {pk: EmailStatus.of_message(message) for pk, message in through_mailbox.items()}
