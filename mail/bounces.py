"""Delivery status notifications (RFC 3464): a received `multipart/report;
report-type=delivery-status` becomes one Bounce row per failed recipient, linked to the message
it returns (found by the Message-ID in its returned headers), which is marked bounced, and to
the contact with that address. Recording the same report twice changes nothing.

Apps above mail act on bounces through listeners registered in their `AppConfig.ready()`:

    bounces.register_listener(listener)

`listener(bounce)` is called for every newly written Bounce row once the transaction commits
(`bounce.permanent` tells a hard 5.x.x failure from a transient 4.x.x one); a listener that fails
is logged and the bounce stays recorded.
"""

import email
import email.parser
from email import policy

from django.db import transaction

from mail import linking, parsing
from mail.models import Bounce, EmailMessage

_listeners = []


def register_listener(listener):
    if listener not in _listeners:
        _listeners.append(listener)


def unregister_listener(listener):
    if listener in _listeners:
        _listeners.remove(listener)


def _announce(bounce):
    for listener in list(_listeners):
        transaction.on_commit(lambda listener=listener: listener(bounce), robust=True)


def record_bounces(report, raw):
    """Bounce rows for the DSN `report` (an EmailMessage) with its original bytes `raw`."""
    failures, original_id = read_report(raw)
    if not failures:
        return []
    original = None
    if original_id:
        original = EmailMessage.objects.filter(owner_id=report.owner_id, message_id=original_id).first()
    contacts = linking.contacts_by_address(
        [failure["address"].lower() for failure in failures], owner_id=report.owner_id
    )
    rows = []
    for failure in failures:
        bounce, created = Bounce.objects.get_or_create(
            report=report,
            address=failure["address"],
            defaults={
                "status": failure["status"][:20],
                "diagnostic": failure["diagnostic"][:500],
                "permanent": failure["status"].startswith("5"),
                "original": original,
                "contact_id": contacts.get(failure["address"].lower(), (None, None))[0],
            },
        )
        rows.append(bounce)
        if created:
            _announce(bounce)
    if original is not None:
        diagnostic = "; ".join(f"{f['address']}: {f['diagnostic'] or f['status']}" for f in failures)
        EmailMessage.objects.filter(pk=original.pk).update(
            delivery=EmailMessage.Delivery.BOUNCED, delivery_error=diagnostic[:500]
        )
    return rows


def read_report(raw):
    """→ ([{"address", "status", "diagnostic"} for each recipient whose Action is failed],
    the returned message's Message-ID or "")."""
    try:
        message = email.message_from_bytes(raw, policy=policy.compat32)
    except Exception:
        return [], ""
    failures, original_id = [], ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            failures.extend(_failed_recipients(part))
        elif content_type == "text/rfc822-headers" and not original_id:
            payload = part.get_payload(decode=True) or b""
            headers = email.parser.BytesHeaderParser(policy=policy.compat32).parsebytes(payload)
            original_id = parsing.first_id(str(headers.get("Message-ID", "")))
        elif content_type == "message/rfc822" and not original_id:
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                original_id = parsing.first_id(str(inner[0].get("Message-ID", "")))
    return failures, original_id


def _failed_recipients(part):
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    failures = []
    for block in blocks[1:]:  # the first block is about the message, the rest one per recipient
        action = str(block.get("Action", "")).strip().lower()
        recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if action != "failed" or "@" not in address:
            continue
        diagnostic = str(block.get("Diagnostic-Code", ""))
        diagnostic = " ".join(diagnostic.split(";", 1)[-1].split())
        failures.append(
            {"address": address[:320], "status": str(block.get("Status", "")).strip(), "diagnostic": diagnostic}
        )
    return failures
