"""Messages as the sync stores them: an EmailMessage with its Participant rows (and attachments),
not yet linked. `mail.linking.link_message` is what the tests then call."""

import itertools
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from mail.models import Attachment, EmailMessage, Participant

_numbers = itertools.count(1)


def _entry(value):
    if isinstance(value, dict):
        return {"name": value.get("name", ""), "address": value["address"].lower()}
    return {"name": "", "address": value.lower()}


def stored_message(
    *,
    owner,
    sender,
    to=(),
    cc=(),
    subject="Angebot",
    direction=None,
    source=None,
    message_id=None,
    in_reply_to="",
    references="",
    sent_at=None,
    text="Guten Tag,\nanbei die Unterlagen.\nViele Grüße",
    html="",
    deal=None,
    lead=None,
    attachments=(),
):
    """One stored message of `owner`. `sender`, `to`, `cc`: addresses or {"name", "address"}.
    The direction follows the sender (the owner's address → sent) unless given."""
    sender = _entry(sender)
    to, cc = [_entry(a) for a in to], [_entry(a) for a in cc]
    outbound = sender["address"] == (owner.email or "").lower()
    if direction is None:
        direction = EmailMessage.Direction.OUTBOUND if outbound else EmailMessage.Direction.INBOUND
    if source is None:
        source = EmailMessage.Source.SENT if direction == EmailMessage.Direction.OUTBOUND else EmailMessage.Source.INBOX
    number = next(_numbers)
    message = EmailMessage.objects.create(
        owner=owner,
        source=source,
        message_id=message_id or f"<test-{number}@mail.example>",
        in_reply_to=in_reply_to,
        references=references,
        direction=direction,
        subject=subject,
        from_name=sender["name"],
        from_address=sender["address"],
        to=to,
        cc=cc,
        sent_at=sent_at or timezone.now() - timedelta(minutes=number),
        text_body=text,
        html_body=html,
        snippet=" ".join(text.split())[:300],
        size=len(text.encode()),
        has_attachments=bool(attachments),
        deal=deal,
        lead=lead,
        delivery=EmailMessage.Delivery.RECEIVED if direction == "in" else EmailMessage.Delivery.SENT,
    )
    rows = [Participant(message=message, role=Participant.Role.FROM, **sender)]
    rows += [Participant(message=message, role=Participant.Role.TO, **entry) for entry in to]
    rows += [Participant(message=message, role=Participant.Role.CC, **entry) for entry in cc]
    Participant.objects.bulk_create(rows)
    for filename, content_type, content in attachments:
        attachment = Attachment(message=message, filename=filename, content_type=content_type, size=len(content))
        attachment.file.save(filename, ContentFile(content), save=False)
        attachment.save()
    return message


def reply_to(original, *, owner=None, sender, to=(), subject=None, **fields):
    """A reply to `original` with its In-Reply-To and References, as a mail client writes them."""
    references = " ".join(filter(None, [original.references, original.message_id]))
    return stored_message(
        owner=owner or original.owner,
        sender=sender,
        to=to,
        subject=subject if subject is not None else f"Re: {original.subject}",
        in_reply_to=original.message_id,
        references=references,
        sent_at=fields.pop("sent_at", original.sent_at + timedelta(hours=1)),
        **fields,
    )
