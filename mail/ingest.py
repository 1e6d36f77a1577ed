"""Storing a fetched message: the EmailMessage row, its original as a file, participants,
attachments (kept as files up to CRM_MAIL_MAX_ATTACHMENT_BYTES), then linking and bounces.

A message is identified by its owner and Message-ID (the unique constraint): the same
Message-ID is the same message, wherever it was found. A second copy is not stored again; the
copy of a message the CRM sent, found in the Sent folder, only gives that row its UID, folder
and original.
"""

import logging

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from mail import bounces, linking, parsing
from mail.models import Attachment, EmailMessage, Mailbox, Participant

logger = logging.getLogger(__name__)


def store_message(
    *, mailbox, owner, source, raw, uid=None, folder=None, internal_date=None, parsed=None, size=None, truncated=False
):
    """Store `raw` (bytes) for `owner` → (EmailMessage, created). One transaction; idempotent by
    (owner, Message-ID), also when two runs race (the loser returns the winner's row).

    `size` is the server's RFC822.SIZE when only part of a large message was fetched
    (`truncated`); `parsed` may be passed when the caller parsed it already."""
    parsed = parsed or parsing.parse_message(raw, internal_date=internal_date, truncated=truncated)
    existing = EmailMessage.objects.filter(owner=owner, message_id=parsed.message_id).first()
    if existing is not None:
        _complete_crm_copy(existing, source=source, raw=raw, uid=uid, folder=folder)
        return existing, False

    message = EmailMessage(
        owner=owner,
        mailbox=mailbox,
        source=source,
        folder=folder,
        uid=uid,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        direction=_direction(parsed, mailbox=mailbox, owner=owner, source=source),
        subject=parsed.subject,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        to=[a.as_dict() for a in parsed.to],
        cc=[a.as_dict() for a in parsed.cc],
        bcc=[a.as_dict() for a in parsed.bcc],
        reply_to=parsed.reply_to,
        sent_at=parsed.sent_at,
        text_body=parsed.text_body,
        html_body=parsed.html_body,
        snippet=parsed.snippet,
        size=min(size or len(raw), 2**31 - 1),
        has_attachments=bool(parsed.attachments) or truncated,
        problems=parsed.problem_text(),
    )
    # Files are written before the row (storage is not transactional) and removed again when
    # the row loses a race or the transaction fails.
    message.raw.save(_eml_name(parsed.message_id), ContentFile(raw), save=False)
    files = [message.raw.name]
    try:
        with transaction.atomic():
            message.save()
            Participant.objects.bulk_create(_participants(message, parsed))
            # Of a truncated message only the start was fetched: its attachments are incomplete.
            for attachment in [] if truncated else parsed.attachments:
                files.extend(_save_attachment(message, attachment))
            linking.link_message(message)
            if parsed.is_delivery_report and message.direction == EmailMessage.Direction.INBOUND:
                bounces.record_bounces(message, raw)
    except IntegrityError:
        _delete_files(files)
        existing = EmailMessage.objects.filter(owner=owner, message_id=parsed.message_id).first()
        if existing is None:
            raise
        return existing, False
    except BaseException:
        _delete_files(files)
        raise
    return message, True


def _complete_crm_copy(existing, *, source, raw, uid, folder):
    """The Sent-folder copy of a message written in the CRM: its UID, folder and original."""
    if existing.source != EmailMessage.Source.CRM or source != EmailMessage.Source.SENT or existing.uid is not None:
        return
    existing.uid, existing.folder = uid, folder
    fields = ["uid", "folder"]
    if not existing.raw:
        existing.raw.save(_eml_name(existing.message_id), ContentFile(raw), save=False)
        existing.size = min(len(raw), 2**31 - 1)
        fields += ["raw", "size"]
    EmailMessage.objects.filter(pk=existing.pk, uid__isnull=True).update(
        **{name: getattr(existing, name) for name in fields}
    )


def own_addresses(mailbox, owner):
    """The addresses that make a message outbound: the mailbox's, and for the dropbox the
    owner's own mailbox and account addresses."""
    addresses = {mailbox.email_address.lower()} if mailbox.kind == Mailbox.Kind.PERSONAL else set()
    if mailbox.kind == Mailbox.Kind.DROPBOX:
        addresses.add((owner.email or "").lower())
        addresses.update(a.lower() for a in Mailbox.objects.filter(user=owner).values_list("email_address", flat=True))
    return addresses - {""}


def _direction(parsed, *, mailbox, owner, source):
    if source == EmailMessage.Source.SENT or parsed.from_address in own_addresses(mailbox, owner):
        return EmailMessage.Direction.OUTBOUND
    return EmailMessage.Direction.INBOUND


def _participants(message, parsed):
    rows = []
    if parsed.from_:
        rows.append(Participant(message=message, role="from", name=parsed.from_name, address=parsed.from_address))
    for role in ("to", "cc", "bcc"):
        for address in getattr(parsed, role):
            rows.append(Participant(message=message, role=role, name=address.name, address=address.address))
    return rows


def _save_attachment(message, parsed_attachment):
    limit = settings.CRM_MAIL_MAX_ATTACHMENT_BYTES
    row = Attachment(
        message=message,
        filename=parsed_attachment.filename,
        content_type=parsed_attachment.content_type,
        size=parsed_attachment.size,
        content_id=parsed_attachment.content_id,
        inline=parsed_attachment.inline,
    )
    if parsed_attachment.size > limit:
        row.omitted = True
        row.save()
        return []
    row.file.save(_storage_name(parsed_attachment.filename), ContentFile(parsed_attachment.payload), save=False)
    row.save()
    return [row.file.name]


def _storage_name(filename):
    """The file's name in storage (the original name stays in the row)."""
    try:
        return get_valid_filename(filename)[:100]
    except SuspiciousFileOperation:
        return "attachment"


def _eml_name(message_id):
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    safe = "".join(char if char.isalnum() else "-" for char in message_id.strip("<>"))[:60]
    return f"{stamp}-{safe}.eml"


def _delete_files(names):
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not remove %s", name)
