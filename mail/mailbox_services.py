"""Writes of the mailbox page and the admin: connecting, preferences, disconnecting, the BCC
address, "Sync now" (docs/email.md, "Connecting a mailbox").

Each function owns its transaction and locks the mailbox row; network I/O (the test connection)
happens before, outside any transaction. The sync task is enqueued by name after commit, so this
module does not import the sync's code.
"""

import copy

from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from mail import crypto, sharing
from mail.models import Mailbox, MailFolder, new_dropbox_token

SYNC_TASK = "mail.sync_mailbox"

CONNECTION_FIELDS = (
    "provider",
    "email_address",
    "display_name",
    "imap_host",
    "imap_port",
    "imap_security",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "username",
    "inbox_folder",
    "sent_folder",
    "sync_enabled",
)
UNTESTED_FIELDS = ("provider", "email_address", "display_name", "sync_enabled")
# Changing one of these (or typing a password) runs the test connection before saving.
TESTED_FIELDS = tuple(name for name in CONNECTION_FIELDS if name not in UNTESTED_FIELDS)
# The connection form's fields, in the page's order: the password right after the user name.
FORM_FIELDS = (
    *CONNECTION_FIELDS[: CONNECTION_FIELDS.index("username") + 1],
    "password",
    *CONNECTION_FIELDS[CONNECTION_FIELDS.index("username") + 1 :],
)
# Fields whose change means the stored password would go somewhere else: it must be typed again.
DESTINATION_FIELDS = ("imap_host", "smtp_host", "username")
SERVER_DEFAULTS = {
    "imap_host": "",
    "imap_port": 993,
    "imap_security": Mailbox.Security.SSL,
    "smtp_host": "",
    "smtp_port": 587,
    "smtp_security": Mailbox.Security.STARTTLS,
    "username": "",
    "sent_folder": "",
    "inbox_folder": "INBOX",
}


class MailboxError(Exception):
    """A refused change, with a message for the user."""


def mailbox_get_or_create(*, user):
    """The user's personal mailbox row (it holds the preferences and the BCC token before a
    server is connected)."""
    mailbox, _created = Mailbox.objects.get_or_create(user=user, defaults={"kind": Mailbox.Kind.PERSONAL})
    return mailbox


def destination_changed(mailbox, values):
    """Whether `values` send the stored secret to another server or account, or newly without TLS."""
    for name in DESTINATION_FIELDS:
        if str(values.get(name, "")).strip().lower() != str(getattr(mailbox, name)).strip().lower():
            return True
    return any(
        values.get(name) == Mailbox.Security.NONE and getattr(mailbox, name) != Mailbox.Security.NONE
        for name in ("imap_security", "smtp_security")
    )


def needs_test(mailbox, values, password):
    """Whether saving `values` must first pass the test connection: a password was typed, the
    mailbox is not connected yet, or a server setting changed."""
    if password or not mailbox.is_connected:
        return True
    return any(str(values.get(name, "")) != str(getattr(mailbox, name)) for name in TESTED_FIELDS)


def _reset_folder(folder, name):
    folder.name, folder.uidvalidity, folder.last_uid, folder.synced_at = name, None, 0, None


def with_values(mailbox, values):
    """An unsaved copy of `mailbox` carrying `values`: what the test connection tries."""
    candidate = copy.copy(mailbox)
    for name, value in values.items():
        setattr(candidate, name, value)
    return candidate


@sensitive_variables("password")
def mailbox_save_connection(*, mailbox_id, values, password, report, new_account=None):
    """Store the connection settings that passed the test connection `report` (mail/probe.py):
    the password sealed (an empty one keeps the stored secret), status ok, connected now, the
    inbox and Sent folders by the names the server gave. A folder whose name changed, or any
    folder when the account did (host or user name; `new_account`, computed from `values`
    unless given), starts its sync afresh. A first sync is enqueued after commit when sync is on."""
    if report is None or not report.ok:
        raise MailboxError(_("The connection test failed; nothing was saved."))
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
        if new_account is None:
            new_account = destination_changed(mailbox, values)
        for name in CONNECTION_FIELDS:
            if name in values:
                setattr(mailbox, name, values[name])
        if password:
            mailbox.secret = crypto.seal(password)
        if not mailbox.secret:
            raise MailboxError(_("Enter the password."))
        mailbox.auth_method = Mailbox.Auth.PASSWORD
        mailbox.status = Mailbox.Status.OK
        mailbox.connected_at = timezone.now()
        mailbox.last_error, mailbox.last_error_at = "", None
        mailbox.failure_count, mailbox.failure_notified_at = 0, None
        mailbox.save()
        wanted = {MailFolder.Role.INBOX: report.inbox_folder, MailFolder.Role.SENT: report.sent_folder}
        existing = {folder.role: folder for folder in mailbox.folders.select_for_update()}
        for role, name in wanted.items():
            folder = existing.get(role)
            if folder is None:
                MailFolder.objects.create(mailbox=mailbox, role=role, name=name)
            elif new_account or folder.name != name:
                _reset_folder(folder, name)
                folder.save()
        if mailbox.sync_enabled:
            _enqueue_sync(mailbox.pk)
    return mailbox


def mailbox_save_settings(*, mailbox_id, values):
    """The settings that need no test connection (address, sender name, provider, sync on/off),
    when the server settings did not change."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
        for name in UNTESTED_FIELDS:
            if name in values:
                setattr(mailbox, name, values[name])
        mailbox.save()
    return mailbox


def mailbox_save_preferences(*, mailbox_id, sharing_choice):
    """Sharing. A changed sharing choice recomputes `shared` on all of the owner's messages in the
    same transaction (mail/sharing.py)."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
        changed = mailbox.sharing != sharing_choice
        mailbox.sharing = sharing_choice
        mailbox.save(update_fields=["sharing", "updated_at"])
        if changed and mailbox.user_id:
            sharing.refresh_shared(mailbox.user)
    return mailbox


def mailbox_disconnect(*, mailbox_id):
    """Remove the secret and the server settings and stop the sync. The messages already synced
    stay (their folder reference is cleared with the folders' sync state); the preferences and
    the BCC address stay too."""
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
        for name, value in SERVER_DEFAULTS.items():
            setattr(mailbox, name, value)
        mailbox.secret = ""
        mailbox.auth_method = Mailbox.Auth.PASSWORD
        mailbox.sync_enabled = False
        mailbox.status = Mailbox.Status.NOT_CONNECTED
        mailbox.connected_at = None
        mailbox.last_error, mailbox.last_error_at = "", None
        mailbox.failure_count, mailbox.failure_notified_at = 0, None
        mailbox.save()
        mailbox.folders.all().delete()
    return mailbox


def mailbox_new_dropbox_address(*, mailbox_id):
    """A new BCC token: mail to the old address links nothing from now on."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
                mailbox.dropbox_token = new_dropbox_token()
                mailbox.save(update_fields=["dropbox_token", "updated_at"])
                return mailbox
        except IntegrityError:  # another mailbox holds the token (64 random bits: not expected)
            continue
    raise MailboxError(_("No new address could be made; try again."))


def mailbox_request_sync(*, mailbox_id):
    """Enqueue a sync of the mailbox now (after commit), if it is connected and syncing."""
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    if not mailbox.is_connected:
        raise MailboxError(_("Connect the mailbox first."))
    if not mailbox.sync_enabled:
        raise MailboxError(_("Sync is off for this mailbox: turn it on first."))
    _enqueue_sync(mailbox.pk)
    return mailbox


def _enqueue_sync(mailbox_id):
    transaction.on_commit(lambda: current_app.send_task(SYNC_TASK, args=[mailbox_id]))
