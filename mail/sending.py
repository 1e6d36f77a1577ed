"""Sending e-mail written in the CRM (docs/email.md, "Writing e-mails").

`send_email()` validates the addresses, stores the message (source "crm", delivery queued, a
Message-ID of the sender's domain, In-Reply-To/References of the message answered, its
participants and attachments, the MIME as `raw`), links it, and asks for delivery once the
transaction commits. `deliver()` sends it: through the sender's own SMTP server when their
mailbox is connected (then it APPENDs the same bytes to their Sent folder, so the next sync
finds the Message-ID and stores nothing twice), else through the installation's mailer from
DEFAULT_FROM_EMAIL with the sender's name and their address as Reply-To.

Delivery claims the row with a conditional UPDATE under a lease (CRM_MAIL_SEND_LEASE_SECONDS),
like the activities outbox: while one worker holds it nobody else sends it; a worker that dies
holding it leaves the lease to expire and the periodic `deliver_pending` sends it then.
Temporary failures (4xx, a connection that fails) are retried with backoff up to
CRM_EMAIL_MAX_ATTEMPTS; permanent ones (5xx, a refused login) fail at once with the server's
answer.

Marketing e-mail (`purpose="marketing"`, nurturing's sequences and rule e-mails) passes the send
gates of mail/gates.py after the claim: a gate's reason withholds it (delivery `withheld`) and
nothing is sent; its final state is then told to the delivery listeners.
"""

import imaplib
import logging
import re
import smtplib
import time
import uuid
from datetime import timedelta
from email.headerregistry import Address
from email.utils import formatdate, getaddresses, make_msgid, parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mail import connection, folders, gates, linking, sharing, templating
from mail.gates import register_delivery_listener, register_gate, unregister_gate  # noqa: F401 (the API)
from mail.models import Attachment, EmailMessage, Mailbox, MailFolder, Participant

logger = logging.getLogger(__name__)

Delivery = EmailMessage.Delivery
# Seconds before the next attempt after a temporary failure (the last value repeats).
BACKOFF = (60, 300, 900, 3600)


class DeliveryError(Exception):
    def __init__(self, detail, *, permanent):
        super().__init__(detail)
        self.detail = str(detail)[:500]
        self.permanent = permanent


# --- addresses ----------------------------------------------------------------------------


def _one_line(text):
    return " ".join(str(text or "").split())


def parse_addresses(value, *, field="to"):
    """[{"name", "address"}] from "a@x.de, Name <b@y.de>" or a list of such strings or dicts;
    ValidationError {field: [...]} naming each address that is not one."""
    if isinstance(value, str):
        items = [value]
    else:
        items = [f"{item.get('name', '')} <{item['address']}>" if isinstance(item, dict) else item for item in value]
    found, bad = [], []
    for name, address in getaddresses([_one_line(item) for item in items if item and str(item).strip()]):
        address = address.strip()
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address or name)
            continue
        found.append({"name": _one_line(name)[:200], "address": address})
    raw = " ".join(str(item) for item in items)
    if not bad and raw.count("@") > len(found):
        bad.append(raw)
    if bad:
        raise ValidationError(
            {field: _("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(bad)}}, code="address"
        )
    return found


def _formatted(entry):
    return str(Address(display_name=entry["name"], addr_spec=entry["address"])) if entry["name"] else entry["address"]


def reply_subject(subject):
    """ "Re: " once, whatever the original already had (Re:, RE:, AW:, Aw:)."""
    stripped = re.sub(r"^\s*((re|aw|antw)\s*(\[\d+\])?\s*:\s*)+", "", subject or "", flags=re.IGNORECASE)
    return f"Re: {stripped}"


# --- storing ------------------------------------------------------------------------------


def _connected_mailbox(user):
    mailbox = Mailbox.objects.filter(user=user, kind=Mailbox.Kind.PERSONAL).first()
    return mailbox if mailbox is not None and mailbox.is_connected else None


def _sender_name(sender, mailbox):
    return _one_line((mailbox.display_name if mailbox else "") or sender.get_full_name() or sender.get_username())


def _domain(address):
    return address.rsplit("@", 1)[1] if "@" in address else "localhost"


def _read_attachment(item):
    """(filename, content_type, bytes) from a tuple or an uploaded file."""
    if isinstance(item, tuple | list):
        filename, content_type, content = item
    else:
        filename, content_type = item.name, getattr(item, "content_type", "") or "application/octet-stream"
        item.seek(0)
        content = item.read()
    return _one_line(filename)[:200] or "attachment", content_type or "application/octet-stream", bytes(content)


def _check_attachments(files):
    limit = settings.CRM_MAIL_MAX_ATTACHMENT_BYTES
    total = sum(len(content) for _name, _type, content in files)
    too_large = [name for name, _type, content in files if len(content) > limit]
    if too_large or total > limit:
        raise ValidationError(
            {
                "attachments": _("Attachments may have %(limit)s MB together; too large: %(names)s.")
                % {"limit": limit // (1024 * 1024), "names": ", ".join(too_large) or _("all of them together")}
            },
            code="too_large",
        )


def build(message, *, files, html=""):
    """The Django e-mail of a stored message (headers as stored; Bcc only in the envelope)."""
    headers = {"Message-ID": message.message_id, "Date": formatdate(message.sent_at.timestamp(), localtime=True)}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    for name, value in message.extra_headers or ():
        headers[_one_line(name)] = _one_line(value)
    from_email = str(Address(display_name=message.from_name, addr_spec=message.from_address))
    email = django_mail.EmailMultiAlternatives(
        message.subject,
        message.text_body,
        from_email,
        [_formatted(entry) for entry in message.to],
        cc=[_formatted(entry) for entry in message.cc],
        bcc=[_formatted(entry) for entry in message.bcc],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    email.attach_alternative(html or message.html_body, "text/html")
    for filename, content_type, content in files:
        email.attach(filename, content, content_type)
    return email


def as_wire_bytes(mime):
    """The message as SMTP and IMAP carry it (CRLF line ends; smtplib sends bytes unchanged)."""
    return mime.as_bytes(policy=mime.policy.clone(linesep="\r\n"))


def _stored_files(message):
    files = []
    for attachment in message.attachments.order_by("pk"):
        with attachment.file.open("rb") as stored:
            files.append((attachment.filename, attachment.content_type, stored.read()))
    return files


def has_connected_mailbox(user):
    """Whether `user`'s e-mail goes out through their own mailbox (else the installation's)."""
    return _connected_mailbox(user) is not None


def send_email(
    *,
    sender,
    to,
    cc=(),
    bcc=(),
    subject,
    text,
    html=None,
    attachments=(),
    deal=None,
    lead=None,
    in_reply_to=None,
    idstring=None,
    purpose=EmailMessage.Purpose.PERSONAL,
    extra_headers=(),
):
    """Store an e-mail written by `sender` and queue its delivery (after commit).

    Raises ValidationError (a dict by field: to, cc, bcc, subject, attachments) for bad input;
    nothing is stored then. `in_reply_to` is the EmailMessage answered (its thread headers are
    continued). `html`, when given, is sanitised with nh3; otherwise the HTML part is the text,
    escaped, with its line breaks. `idstring` goes into the Message-ID (another app finds its
    message by it: "<…​.quote-17@domain>").
    """
    errors = {}
    addresses = {}
    for field, value in (("to", to), ("cc", cc), ("bcc", bcc)):
        try:
            addresses[field] = parse_addresses(value, field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if not errors.get("to") and not addresses.get("to"):
        errors["to"] = [_("Enter at least one recipient.")]
    subject = _one_line(subject)[:500]
    if not subject:
        errors["subject"] = [_("Enter a subject.")]
    files = [_read_attachment(item) for item in attachments]
    try:
        _check_attachments(files)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    mailbox = _connected_mailbox(sender)
    name = _sender_name(sender, mailbox)
    if mailbox is not None:
        from_address, reply_to = mailbox.email_address or mailbox.username, ""
    else:
        from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
        reply_to = sender.email or ""
    text = (text or "").replace("\r\n", "\n")
    html_body = templating.sanitise_html(html) if html else templating.text_to_html(text)
    now = timezone.now()
    references = ""
    if in_reply_to is not None:
        references = " ".join(part for part in (in_reply_to.references, in_reply_to.message_id) if part)
    with transaction.atomic():
        message = EmailMessage(
            owner=sender,
            mailbox=mailbox,
            source=EmailMessage.Source.CRM,
            message_id=make_msgid(
                idstring=idstring, domain=_domain(from_address if mailbox else sender.email or from_address)
            ),
            in_reply_to=in_reply_to.message_id if in_reply_to is not None else "",
            references=references,
            direction=EmailMessage.Direction.OUTBOUND,
            subject=subject,
            from_name=name[:300],
            from_address=from_address,
            to=addresses["to"],
            cc=addresses["cc"],
            bcc=addresses["bcc"],
            reply_to=reply_to,
            sent_at=now,
            text_body=text,
            html_body=html_body,
            snippet=" ".join(text.split())[:300],
            has_attachments=bool(files),
            deal=deal,
            lead=lead,
            delivery=Delivery.QUEUED,
            purpose=purpose,
            extra_headers=[[_one_line(name), _one_line(value)] for name, value in extra_headers],
        )
        raw = as_wire_bytes(build(message, files=files).message())
        message.size = len(raw)
        message.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
        message.save()
        _store_parts(message, files)
        linking.link_message(message)
        _refresh_shared(message)
        transaction.on_commit(lambda: _ask_for_delivery(message.pk))
    return message


def _store_parts(message, files):
    participants = [Participant(message=message, role="from", name=message.from_name, address=message.from_address)]
    for role in ("to", "cc", "bcc"):
        participants += [
            Participant(message=message, role=role, name=entry["name"], address=entry["address"].lower())
            for entry in getattr(message, role)
        ]
    Participant.objects.bulk_create(participants)
    for filename, content_type, content in files:
        attachment = Attachment(message=message, filename=filename, content_type=content_type, size=len(content))
        attachment.file.save(filename, ContentFile(content), save=False)
        attachment.save()


def _refresh_shared(message):
    message.refresh_from_db(fields=["deal", "lead"])
    shared = sharing.is_shared(
        shares_linked=sharing.owner_shares_linked(message.owner), deal_id=message.deal_id, lead_id=message.lead_id
    )
    if shared != message.shared:
        EmailMessage.objects.filter(pk=message.pk).update(shared=shared)
        message.shared = shared


def _ask_for_delivery(message_id, countdown=None):
    from mail import tasks

    tasks.deliver_message.apply_async((message_id,), countdown=countdown)


def record_outbox_email(*, sender, outbox, deal=None, lead=None):
    """Record an e-mail that the product's outbox (activities.OutgoingEmail) delivers from the
    installation's address: the quote e-mail of a user without a connected mailbox. Its delivery
    state is the outbox row's (`outbox_delivery`)."""
    from activities import services as activity_services

    built = activity_services.email_message(outbox).message()
    raw = as_wire_bytes(built)
    from_name, from_address = parseaddr(str(built["From"]))
    message = EmailMessage(
        owner=sender,
        source=EmailMessage.Source.CRM,
        message_id=str(built["Message-ID"] or make_msgid(domain=_domain(from_address))),
        direction=EmailMessage.Direction.OUTBOUND,
        subject=outbox.subject,
        from_name=from_name[:300],
        from_address=from_address,
        to=[{"name": "", "address": outbox.to}],
        reply_to=outbox.reply_to,
        sent_at=outbox.created_at,
        text_body=outbox.body,
        html_body=templating.text_to_html(outbox.body),
        snippet=" ".join(outbox.body.split())[:300],
        has_attachments=bool(outbox.attachment),
        size=len(raw),
        deal=deal,
        lead=lead,
        delivery=Delivery.QUEUED,
        outbox=outbox,
    )
    message.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw), save=False)
    message.save()
    files = []
    if outbox.attachment:
        with outbox.attachment.open("rb") as stored:
            files.append((outbox.attachment_name or "attachment", outbox.attachment_type, stored.read()))
    _store_parts(message, files)
    linking.link_message(message)
    _refresh_shared(message)
    return message


def outbox_delivery(messages):
    """Bring the delivery state of outbox-delivered messages up to date with their outbox rows
    (sent, or failed after the outbox's last attempt). Returns how many changed."""
    from activities.models import OutgoingEmail

    waiting = [m for m in messages if m.outbox_id and m.delivery == Delivery.QUEUED]
    if not waiting:
        return 0
    rows = OutgoingEmail.objects.only("sent_at", "failed_at", "last_error").in_bulk([m.outbox_id for m in waiting])
    changed = 0
    for message in waiting:
        row = rows.get(message.outbox_id)
        if row is None or not (row.sent_at or row.failed_at):
            continue
        state, error = (Delivery.SENT, "") if row.sent_at else (Delivery.FAILED, row.last_error)
        changed += EmailMessage.objects.filter(pk=message.pk, delivery=Delivery.QUEUED).update(
            delivery=state, delivery_error=error
        )
        message.delivery, message.delivery_error = state, error
    return changed


# --- delivering ---------------------------------------------------------------------------


def _lease():
    return timedelta(seconds=settings.CRM_MAIL_SEND_LEASE_SECONDS)


def _claimable(now):
    """Messages written in the CRM that are due: queued and not waiting for a retry, or held by
    a worker whose lease has expired (it died or is stuck)."""
    due = Q(delivery=Delivery.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(delivery=Delivery.SENDING, claimed_at__lt=now - _lease())
    return EmailMessage.objects.filter(source=EmailMessage.Source.CRM, outbox__isnull=True).filter(due | abandoned)


def claim(message_id, *, now=None):
    """Claim one message for sending; the claim token, or None when it is not due or held."""
    now = now or timezone.now()
    token = uuid.uuid4()
    claimed = (
        _claimable(now)
        .filter(pk=message_id)
        .update(delivery=Delivery.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    )
    return token if claimed == 1 else None


def _classify(error):
    """A DeliveryError (permanent or not) for what smtplib, the connection or the mailer raised."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [f"{address}: {code} {_text(reply)}" for address, (code, reply) in sorted(error.recipients.items())]
        permanent = all(code >= 500 for code, _reply in error.recipients.values())
        return DeliveryError("; ".join(answers), permanent=permanent)
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryError(f"{error.smtp_code} {_text(error.smtp_error)}", permanent=error.smtp_code >= 500)
    if isinstance(error, connection.MailConnectionError):
        return DeliveryError(str(error), permanent=error.step == connection.Step.LOGIN)
    if isinstance(error, (OSError, smtplib.SMTPException)):
        return DeliveryError(f"{type(error).__name__}: {error}", permanent=False)
    return DeliveryError(f"{type(error).__name__}: {error}", permanent=True)


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _recipients(message):
    return [entry["address"] for entry in (*message.to, *message.cc, *message.bcc)]


def _send_through_mailbox(message, raw):
    client = connection.open_smtp(message.mailbox)
    try:
        refused = client.sendmail(message.from_address, _recipients(message), raw)
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    # Some recipients refused, the others accepted: sent, with the refusals noted.
    return "; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in sorted(refused.items()))


def _send_through_installation(message):
    email = build(message, files=_stored_files(message))
    with django_mail.mailers.default as mailer:
        mailer.send_messages([email])
    return ""


def deliver(message_id, *, now=None):
    """Send one message if it is due and this call claims it. Returns the new delivery state
    (or None when there was nothing to do)."""
    token = claim(message_id, now=now)
    if token is None:
        return None
    message = EmailMessage.objects.select_related("mailbox").get(pk=message_id)
    reason = gates.refusal(message)
    if reason:
        return _withheld(message, token, reason)
    through_mailbox = message.mailbox is not None and message.mailbox.is_connected
    try:
        if through_mailbox:
            with message.raw.open("rb") as stored:
                raw = stored.read()
            partly_refused = _send_through_mailbox(message, raw)
        else:
            partly_refused = _send_through_installation(message)
    except SoftTimeLimitExceeded:
        raise  # whether the server took it is unknown: the claim stays until the lease ends
    except Exception as exc:
        failure = exc if isinstance(exc, DeliveryError) else _classify(exc)
        logger.warning("E-mail %s failed (attempt %s): %s", message.pk, message.attempts, failure.detail)
        return _failed(message, token, failure)
    EmailMessage.objects.filter(pk=message.pk, claim_token=token).update(
        delivery=Delivery.SENT, delivery_error=partly_refused[:500], claimed_at=None, next_attempt_at=None
    )
    gates.delivered(message, Delivery.SENT, partly_refused)
    if through_mailbox:
        copy_to_sent(message, raw)
    return Delivery.SENT


def _withheld(message, token, reason):
    """A gate said no: nothing is sent, now or later."""
    EmailMessage.objects.filter(pk=message.pk, claim_token=token).update(
        delivery=Delivery.WITHHELD, delivery_error=reason, claimed_at=None, claim_token=None, next_attempt_at=None
    )
    logger.info("E-mail %s withheld: %s", message.pk, reason)
    gates.delivered(message, Delivery.WITHHELD, reason)
    return Delivery.WITHHELD


def _failed(message, token, failure):
    give_up = failure.permanent or message.attempts >= settings.CRM_EMAIL_MAX_ATTEMPTS
    if give_up:
        state, next_attempt = Delivery.FAILED, None
    else:
        state = Delivery.QUEUED
        next_attempt = timezone.now() + timedelta(seconds=BACKOFF[min(message.attempts, len(BACKOFF)) - 1])
    EmailMessage.objects.filter(pk=message.pk, claim_token=token).update(
        delivery=state, delivery_error=failure.detail, claimed_at=None, claim_token=None, next_attempt_at=next_attempt
    )
    if state == Delivery.FAILED:
        gates.delivered(message, Delivery.FAILED, failure.detail)
    if state == Delivery.QUEUED:
        countdown = (next_attempt - timezone.now()).total_seconds()
        transaction.on_commit(lambda: _ask_for_delivery(message.pk, countdown=max(countdown, 1)))
    return state


def deliver_pending(*, now=None, limit=200):
    """Send what is due (a retry's time has come, a dead worker's lease expired). Returns how
    many were sent."""
    now = now or timezone.now()
    ids = list(_claimable(now).order_by("sent_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(deliver(pk, now=now) == Delivery.SENT for pk in ids)


# --- the Sent copy --------------------------------------------------------------------------


def sent_folder_name(mailbox, client):
    """The folder of the Sent role, as the server spells it: as the sync found it, as configured,
    or the one the server marks \\Sent (RFC 6154) or names as usual; "Sent" when none says."""
    folder = MailFolder.objects.filter(mailbox=mailbox, role=MailFolder.Role.SENT).values_list("name", flat=True)
    if folder.first():
        return folder.first()
    if mailbox.sent_folder:
        return folders.encode(mailbox.sent_folder)
    return folders.find_sent(client)[0] or "Sent"


def copy_to_sent(message, raw):
    """APPEND the sent bytes to the sender's Sent folder, flagged \\Seen. A failure is logged
    and leaves `sent_copy_at` empty: the message went out, only the copy is missing."""
    try:
        with connection.imap_session(message.mailbox) as client:
            folder = sent_folder_name(message.mailbox, client)
            status, answer = client.append(
                folders.quoted(folder), "(\\Seen)", imaplib.Time2Internaldate(time.time()), raw
            )
            if status != "OK":
                raise imaplib.IMAP4.error(_text(answer[0] if answer else status))
    except Exception as exc:  # the delivery is done; the copy is a convenience
        logger.warning("The Sent copy of e-mail %s failed: %s", message.pk, exc)
        return False
    EmailMessage.objects.filter(pk=message.pk).update(sent_copy_at=timezone.now())
    return True
