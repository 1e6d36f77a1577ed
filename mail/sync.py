"""Syncing a mailbox over IMAP: new messages of INBOX and Sent (the dropbox: INBOX only) since
the last UID, stored with mail.ingest (docs/email.md, "Sync").

Each folder is opened read-only (EXAMINE) and fetched with BODY.PEEK[], so the sync never marks
anything as read. The folder's UIDVALIDITY is compared with the stored one; a change resets the
position and the re-fetch is absorbed by the Message-ID dedupe. Messages are fetched in batches
(CRM_MAIL_SYNC_BATCH_SIZE); `last_uid` is committed after each batch, so a run that dies
(killed worker, dropped connection) continues from the last committed batch and the messages of
the unfinished batch that were already stored count as duplicates.

A connection failure ends the mailbox's run, keeps what was committed and marks the mailbox
failing; after FAILURES_BEFORE_NOTICE failures in a row its owner is notified once per episode.
"""

import contextlib
import imaplib
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import Notification
from mail import crypto, folders, ingest, parsing
from mail import dropbox as dropbox_links
from mail.connection import STEP_LABELS, MailConnectionError, Step, imap_session
from mail.models import EmailMessage, Mailbox, MailFolder

logger = logging.getLogger(__name__)

FAILURES_BEFORE_NOTICE = 3
# Messages above CRM_MAIL_MAX_MESSAGE_BYTES: only this much of their start is fetched.
PARTIAL_FETCH_BYTES = 256 * 1024
# Bodies fetched in one FETCH command at most (besides a single larger message).
FETCH_BYTES_PER_COMMAND = 32 * 1024 * 1024
# Test hook: seconds to wait after each stored message, so that a test can kill a worker
# mid-sync deterministically. Unset (the default) in every installation.
DELAY_ENV = "CRM_MAIL_SYNC_TEST_DELAY"
# The connection broke during the sync (the server closed it, a timeout, a reset).
CONNECTION_LOST = (imaplib.IMAP4.abort, OSError)
CONNECTION_LOST_LABEL = gettext_lazy("The connection to the server was lost during the sync")
SECRET_UNREADABLE = gettext_lazy("The stored password cannot be decrypted; please enter it again")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class FolderResult:
    role: str
    name: str
    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    uidvalidity_changed: bool = False


@dataclass
class SyncResult:
    mailbox_id: int
    folders: dict = field(default_factory=dict)
    error: str = ""  # the failure that ended the run, as stored in Mailbox.last_error
    skipped_reason: str = ""

    def folder(self, role, name):
        return self.folders.setdefault(role, FolderResult(role=role, name=name))

    def total(self, name):
        return sum(getattr(folder, name) for folder in self.folders.values())

    @property
    def ok(self):
        return not self.error and not self.skipped_reason

    def summary(self):
        if self.skipped_reason:
            return f"mailbox {self.mailbox_id}: skipped ({self.skipped_reason})"
        parts = [
            f"{f.role} ({f.name}): {f.new} new, {f.duplicates} duplicates, {f.skipped} skipped, {f.errors} errors"
            + (", UIDVALIDITY changed" if f.uidvalidity_changed else "")
            for f in self.folders.values()
        ]
        return f"mailbox {self.mailbox_id}: " + "; ".join(parts) + (f"; failed: {self.error}" if self.error else "")


def sync_mailbox(mailbox):
    """Fetch what is new in the mailbox's folders → SyncResult. Never raises for a mail server
    problem: the run ends, the mailbox is marked failing, committed batches stay."""
    result = SyncResult(mailbox_id=mailbox.pk)
    if not mailbox.is_connected:
        result.skipped_reason = "not connected"
        return result
    try:
        with imap_session(mailbox) as client:
            for role, name in _folders(client, mailbox):
                _sync_folder(client, mailbox, role, name, result)
    except MailConnectionError as error:
        result.error = mailbox_failed(mailbox, error.label, error.detail)
    except crypto.SecretUnreadable as error:
        result.error = mailbox_failed(mailbox, SECRET_UNREADABLE, str(error))
    except CONNECTION_LOST as error:
        result.error = mailbox_failed(mailbox, CONNECTION_LOST_LABEL, str(error) or type(error).__name__)
    except imaplib.IMAP4.error as error:
        result.error = mailbox_failed(mailbox, STEP_LABELS[Step.PROTOCOL], _text(error.args))
    except SoftTimeLimitExceeded:
        # A long first sync: what was committed stays, the next run continues from there.
        result.skipped_reason = "time limit reached, continues with the next run"
    else:
        mailbox_succeeded(mailbox)
    return result


def mailboxes_to_sync():
    """Connected mailboxes with sync enabled (the dropbox too), of active users."""
    return (
        Mailbox.objects.filter(sync_enabled=True)
        .exclude(imap_host="")
        .exclude(username="")
        .exclude(secret="")
        .filter(Q(user__isnull=True) | Q(user__is_active=True))
        .order_by("pk")
    )


def sync_mailbox_by_id(mailbox_id):
    """Sync one mailbox unless another run holds its lock → a summary line. The lock lives in
    the cache and expires after the task's hard time limit, so a killed run blocks the
    mailbox at most that long."""
    mailbox = mailboxes_to_sync().select_related("user").filter(pk=mailbox_id).first()
    if mailbox is None:
        return f"mailbox {mailbox_id}: skipped (not connected or sync disabled)"
    lock, token = f"mail-sync-lock:{mailbox_id}", uuid.uuid4().hex
    if not cache.add(lock, token, timeout=settings.CELERY_TASK_TIME_LIMIT + 30):
        return f"mailbox {mailbox_id}: skipped (a sync is running)"
    try:
        return sync_mailbox(mailbox).summary()
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


# --- folders ---------------------------------------------------------------------------------


def _folders(client, mailbox):
    """(role, folder name as the server spells it): names typed by the user are encoded, names
    from the server's LIST are used as they came."""
    yield MailFolder.Role.INBOX, folders.encode(mailbox.inbox_folder or "INBOX")
    if mailbox.kind == Mailbox.Kind.DROPBOX:
        return
    sent = folders.encode(mailbox.sent_folder) if mailbox.sent_folder else (folders.find_sent(client)[0] or "")
    if sent:
        yield MailFolder.Role.SENT, sent


def _quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sync_folder(client, mailbox, role, name, result):
    folder_result = result.folder(role, name)
    typ, data = client.select(_quote(name), readonly=True)
    if typ != "OK":
        raise MailConnectionError(Step.FOLDER, f"{name}: {_text(data)}")
    uidvalidity = _number_response(client, "UIDVALIDITY")
    uidnext = _number_response(client, "UIDNEXT")
    folder = _folder_state(mailbox, role, name, uidvalidity, folder_result)

    uids = _new_uids(client, folder)
    batch_size = max(1, settings.CRM_MAIL_SYNC_BATCH_SIZE)
    for start in range(0, len(uids), batch_size):
        batch = uids[start : start + batch_size]
        _sync_batch(client, mailbox, folder, batch, folder_result)
        _advance(folder, batch[-1])
    # Everything below UIDNEXT was looked at (the first sync skips what is older than its
    # window), so the next run asks only for what arrives later.
    if uidnext:
        _advance(folder, uidnext - 1)
    MailFolder.objects.filter(pk=folder.pk).update(synced_at=timezone.now())


def _folder_state(mailbox, role, name, uidvalidity, folder_result):
    with transaction.atomic():
        folder, _created = MailFolder.objects.select_for_update().get_or_create(
            mailbox=mailbox, role=role, defaults={"name": name, "uidvalidity": uidvalidity}
        )
        changed = uidvalidity is not None and folder.uidvalidity not in (None, uidvalidity)
        if changed or folder.name != name:
            # Other UIDs: start again; what is stored already is recognised by its Message-ID.
            folder_result.uidvalidity_changed = changed
            if changed:
                logger.info(
                    "mailbox %s folder %s: UIDVALIDITY %s → %s", mailbox.pk, name, folder.uidvalidity, uidvalidity
                )
            folder.last_uid = 0
        folder.name, folder.uidvalidity = name, uidvalidity
        folder.save(update_fields=["name", "uidvalidity", "last_uid"])
    return folder


def _advance(folder, uid):
    """Commit the position (only forwards)."""
    MailFolder.objects.filter(pk=folder.pk, last_uid__lt=uid).update(last_uid=uid)
    folder.last_uid = max(folder.last_uid, uid)


def _new_uids(client, folder):
    if folder.last_uid == 0:
        since = timezone.localdate() - timedelta(days=settings.CRM_MAIL_FIRST_SYNC_DAYS)
        typ, data = client.uid("SEARCH", "SINCE", f"{since.day}-{MONTHS[since.month - 1]}-{since.year}")
    else:
        typ, data = client.uid("SEARCH", "UID", f"{folder.last_uid + 1}:*")
    if typ != "OK":
        raise MailConnectionError(Step.PROTOCOL, f"SEARCH: {_text(data)}")
    uids = {int(token) for line in data if line for token in line.split() if token.isdigit()}
    # "n:*" always includes the highest UID, even when it is below n.
    return sorted(uid for uid in uids if uid > folder.last_uid)


# --- messages --------------------------------------------------------------------------------


def _sync_batch(client, mailbox, folder, batch, folder_result):
    info = _fetch(client, batch, "(UID RFC822.SIZE INTERNALDATE)")
    limit = settings.CRM_MAIL_MAX_MESSAGE_BYTES
    for group, items in _body_fetches([uid for uid in batch if uid in info], info, limit):
        bodies = _fetch(client, group, items)
        for uid in group:
            if uid not in bodies:  # expunged in the meantime
                continue
            _store_one(
                mailbox, folder, uid, bodies[uid]["body"], info[uid], folder_result, truncated=info[uid]["size"] > limit
            )


def _body_fetches(uids, info, limit):
    """FETCH commands for the bodies: whole messages grouped up to FETCH_BYTES_PER_COMMAND,
    only the start of each message above the limit."""
    group, group_bytes = [], 0
    for uid in uids:
        size = info[uid]["size"]
        if size > limit:
            yield [uid], f"(UID BODY.PEEK[]<0.{PARTIAL_FETCH_BYTES}>)"
            continue
        if group and group_bytes + size > FETCH_BYTES_PER_COMMAND:
            yield group, "(UID BODY.PEEK[])"
            group, group_bytes = [], 0
        group.append(uid)
        group_bytes += size
    if group:
        yield group, "(UID BODY.PEEK[])"


def _store_one(mailbox, folder, uid, raw, info, folder_result, *, truncated):
    internal_date = info.get("internal_date")
    try:
        parsed = parsing.parse_message(raw, internal_date=internal_date, truncated=truncated)
        if mailbox.kind == Mailbox.Kind.DROPBOX:
            owner, source = dropbox_owner(parsed, mailbox), EmailMessage.Source.DROPBOX
            if owner is None:
                folder_result.skipped += 1
                return
        else:
            owner = mailbox.user
            source = EmailMessage.Source.INBOX if folder.role == MailFolder.Role.INBOX else EmailMessage.Source.SENT
        _message, created = ingest.store_message(
            mailbox=mailbox,
            owner=owner,
            source=source,
            raw=raw,
            uid=uid,
            folder=folder,
            internal_date=internal_date,
            parsed=parsed,
            size=info["size"],
            truncated=truncated,
        )
    except DatabaseError as error:
        if isinstance(error, IntegrityError):
            logger.exception("mailbox %s uid %s could not be stored", mailbox.pk, uid)
            folder_result.errors += 1
            return
        raise  # the database is away: end the run without moving past this message
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        # Bad input is parsed leniently; what still fails is a defect, logged and counted,
        # and the sync moves on rather than stopping the mailbox for good.
        logger.exception("mailbox %s uid %s could not be stored", mailbox.pk, uid)
        folder_result.errors += 1
        return
    if created:
        folder_result.new += 1
    else:
        folder_result.duplicates += 1
    delay = float(os.environ.get(DELAY_ENV) or 0)
    if delay:
        time.sleep(delay)


FETCH_START = re.compile(rb"^\d+ \(")
UID_ITEM = re.compile(rb"\bUID (\d+)")
SIZE_ITEM = re.compile(rb"\bRFC822\.SIZE (\d+)")
DATE_ITEM = re.compile(rb'\bINTERNALDATE "([^"]+)"')


def _fetch(client, uids, items):
    """UID FETCH → {uid: {"size", "internal_date", "body"}}; unsolicited FETCH responses
    (flag changes without a UID) are ignored."""
    typ, data = client.uid("FETCH", ",".join(str(uid) for uid in uids), items)
    if typ != "OK":
        raise MailConnectionError(Step.PROTOCOL, f"FETCH: {_text(data)}")
    records = []
    for element in data:
        if isinstance(element, tuple):
            records.append([element[0], element[1]])
        elif isinstance(element, bytes) and FETCH_START.match(element):
            records.append([element, None])
        elif isinstance(element, bytes) and records:
            records[-1][0] += b" " + element
    result = {}
    for meta, body in records:
        uid = UID_ITEM.search(meta)
        if not uid:
            continue
        entry = result.setdefault(int(uid.group(1)), {"size": 0, "internal_date": None, "body": b""})
        if size := SIZE_ITEM.search(meta):
            entry["size"] = int(size.group(1))
        if date := DATE_ITEM.search(meta):
            entry["internal_date"] = _internal_date(date.group(1))
        if body is not None:
            entry["body"] = body
    return result


def _internal_date(value):
    with contextlib.suppress(ValueError):
        return datetime.strptime(value.decode("ascii", "replace").strip(), "%d-%b-%Y %H:%M:%S %z")
    return None


def _number_response(client, name):
    _typ, data = client.response(name)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return int(data[-1])
    return None


def _text(value):
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value if item is not None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# --- the dropbox -----------------------------------------------------------------------------


def dropbox_owner(parsed, dropbox):
    """The user whose dropbox token is in the address the message was delivered to
    (Delivered-To, X-Original-To) or in To / Cc; None when there is none or it is unknown."""
    candidates = parsed.delivered_to + [a.address for a in parsed.to + parsed.cc]
    for address in candidates:
        token = dropbox_links.token_from_address(address, also=dropbox.email_address)
        if not token:
            continue
        mailbox = (
            Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, dropbox_token=token, user__is_active=True)
            .select_related("user")
            .first()
        )
        if mailbox is not None:
            return mailbox.user
    return None


# --- failure states --------------------------------------------------------------------------


def mailbox_failed(mailbox, label, detail):
    """Mark the mailbox failing (under its row lock); the FAILURES_BEFORE_NOTICE-th failure in a
    row notifies the owner, once per episode (until the next success). → the stored error."""
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        error = f"{label}: {detail}"[:500]
        with transaction.atomic():
            row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
            row.status = Mailbox.Status.FAILING
            row.last_error, row.last_error_at = error, now
            row.failure_count = F("failure_count") + 1
            row.save(update_fields=["status", "last_error", "last_error_at", "failure_count"])
            row.refresh_from_db(fields=["failure_count"])
            if row.failure_count >= FAILURES_BEFORE_NOTICE and row.failure_notified_at is None and row.user_id:
                _notify_failing(row, error)
                Mailbox.objects.filter(pk=row.pk).update(failure_notified_at=now)
    logger.warning("mailbox %s sync failed (%s in a row): %s", mailbox.pk, row.failure_count, error)
    mailbox.status, mailbox.last_error, mailbox.failure_count = row.status, error, row.failure_count
    return error


def _notify_failing(mailbox, error):
    # One episode = the failures since the last success (or the connection): its key.
    since = mailbox.last_synced_at or mailbox.connected_at or mailbox.created_at
    key = f"mail-failing:{mailbox.pk}:{since.timestamp():.0f}"
    message = _("Your mailbox %(address)s could not be synced %(count)s times in a row: %(error)s") % {
        "address": mailbox.email_address,
        "count": mailbox.failure_count,
        "error": error,
    }
    try:
        with transaction.atomic():
            Notification.objects.create(user_id=mailbox.user_id, message=message[:300], dedupe_key=key[:100])
    except IntegrityError:
        pass  # this episode was notified already


def mailbox_succeeded(mailbox):
    """A run that reached the end: working again, the failure episode is over."""
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        status=Mailbox.Status.OK, failure_count=0, failure_notified_at=None, last_error="", last_synced_at=now
    )
    mailbox.status, mailbox.failure_count, mailbox.last_synced_at = Mailbox.Status.OK, 0, now
