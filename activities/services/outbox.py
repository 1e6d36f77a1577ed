"""The e-mail outbox: claim, send and mark outgoing e-mails under a lease."""

import logging
import uuid
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from time import monotonic

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from activities.models import OutgoingEmail

logger = logging.getLogger(__name__)


# --- the e-mail outbox ----------------------------------------------------------------------
#
# Claim, send, mark: a deliverer claims rows under a lease (`claimed_at`, a claim token),
# takes the lease afresh right before each message (only while the token is still its own),
# hands the message to the mail server, then marks it sent with one conditional UPDATE
# (`sent_at IS NULL` and its token). So the lease only has to outlive one message, and the
# one message whose outcome is unknown when a deliverer dies is the one it was sending.


def _claim_lease():
    """Longer than one message may take (CRM_EMAIL_CLAIM_LEASE_SECONDS > 4 × EMAIL_TIMEOUT):
    a claim older than this belongs to a dead or stuck deliverer."""
    return timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)


def _run_clock(now):
    """The time during a run that started at `now` (tests pass a fixed one): a long run must
    write the times it acts at, not its start."""
    started, base = monotonic(), now or timezone.now()
    return lambda: base + timedelta(seconds=monotonic() - started)


def _claimable(now):
    """Queued e-mails that nobody holds, or whose holder's lease has expired."""
    return OutgoingEmail.objects.filter(sent_at__isnull=True, failed_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _claim_lease())
    )


def email_claim(*, email_id, now=None):
    """Claim one queued e-mail for delivery; returns the claim token or None.

    Conditional UPDATE: only an unsent row that nobody holds (or whose lease expired)
    is claimed, so two workers never deliver the same row at the same time.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    claimed = _claimable(now).filter(pk=email_id).update(claimed_at=now, claim_token=token)
    return token if claimed == 1 else None


def email_claim_batch(*, now=None, limit=50):
    """Claim up to `limit` queued e-mails under one token; returns (token, e-mails).

    SKIP LOCKED lets concurrent deliverers take different rows; the conditional UPDATE
    (checked again under the lock) sets the lease.
    """
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        _claimable(now).filter(pk__in=ids).update(claimed_at=now, claim_token=token)
    return token, list(OutgoingEmail.objects.filter(claim_token=token).order_by("created_at", "id"))


def _email_release(*, token, email_ids):
    """Give claimed, untried e-mails back at once (the run stops before sending them)."""
    OutgoingEmail.objects.filter(pk__in=email_ids, claim_token=token, sent_at__isnull=True).update(
        claimed_at=None, claim_token=None
    )


def email_message(email):
    """The message of an outbox row: from the installation's address (with the row's sender
    name), Reply-To and the stored attachment when the row has them. Reading the attachment
    fails loudly (the delivery counts it as a failed attempt) rather than sending without it."""
    from_email = settings.DEFAULT_FROM_EMAIL
    if email.from_name:
        _name, address = parseaddr(from_email)
        name = " ".join(email.from_name.split())  # no line breaks in a header
        from_email = str(Address(display_name=name, addr_spec=address or from_email))
    message = mail.EmailMessage(
        email.subject, email.body, from_email, [email.to], reply_to=[email.reply_to] if email.reply_to else None
    )
    if email.attachment:
        with email.attachment.open("rb") as stored:
            content = stored.read()
        name = email.attachment_name or email.attachment.name.rsplit("/", 1)[-1]
        message.attach(name, content, email.attachment_type or "application/octet-stream")
    return message


def _email_send(connection, email, token, clock):
    """Send one claimed e-mail: True sent, False refused (released for a later attempt),
    None when the claim is no longer ours (the lease expired and another deliverer took it)."""
    renewed = OutgoingEmail.objects.filter(
        pk=email.pk, claim_token=token, sent_at__isnull=True, failed_at__isnull=True
    ).update(claimed_at=clock(), attempts=F("attempts") + 1)
    if not renewed:
        return None
    try:
        connection.send_messages([email_message(email)])
    except SoftTimeLimitExceeded:
        # The worker is stopping the task mid-send: whether the server took the message is
        # unknown, so it keeps its claim until the lease ends (then it is sent again).
        raise
    except Exception as exc:  # SMTP errors of every kind: release the claim, retry later
        logger.warning("E-mail %s failed: %s", email.pk, exc)
        give_up = email.attempts + 1 >= settings.CRM_EMAIL_MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=email.pk, claim_token=token).update(
            claimed_at=None,
            claim_token=None,
            last_error=str(exc)[:300],
            failed_at=timezone.now() if give_up else None,
        )
        return False
    OutgoingEmail.objects.filter(pk=email.pk, claim_token=token, sent_at__isnull=True).update(sent_at=clock())
    return True


def email_send_claimed(*, email_id, token, now=None):
    """Send one e-mail claimed with `token` (a stale token sends nothing)."""
    email = OutgoingEmail.objects.get(pk=email_id)
    if email.claim_token != token or email.sent_at is not None:
        return False
    with mail.mailers.default as connection:
        return bool(_email_send(connection, email, token, _run_clock(now)))


def email_deliver_pending(*, now=None, limit=500, batch_size=50):
    """Deliver queued e-mails in claimed batches over one mail-server session each.

    Each message is sent only while this run still holds it (its lease is renewed right
    before); when the run stops early (an exception, the task's soft time limit) the messages
    it had not tried yet are released at once. Returns how many were sent.
    """
    clock = _run_clock(now)
    sent = 0
    while sent < limit:
        token, emails = email_claim_batch(now=clock(), limit=min(batch_size, limit - sent))
        if not emails:
            break
        untried = [email.pk for email in emails]
        refused = False
        try:
            with mail.mailers.default as connection:
                for email in emails:
                    untried.remove(email.pk)
                    result = _email_send(connection, email, token, clock)
                    if result is False:
                        refused = True
                        break  # the mail server refuses: leave the rest for the next run
                    sent += bool(result)
        finally:
            if untried:
                _email_release(token=token, email_ids=untried)
        if refused:
            break
    return sent


# --- reminders ------------------------------------------------------------------------------
