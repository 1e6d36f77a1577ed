"""The sync tasks and the operators' command: which mailboxes are synced, the per-mailbox
lock, and `manage.py sync_mail`."""

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from mail import crypto, sync, tasks
from mail.models import EmailMessage, Mailbox
from tests import factories
from tests.mail.messages import deliver, make_email


def connected(user=None, **fields):
    kind = Mailbox.Kind.PERSONAL if user else Mailbox.Kind.DROPBOX
    values = {"imap_host": "imap.example.test", "username": "u", "secret": crypto.seal("pw")} | fields
    return Mailbox.objects.create(kind=kind, user=user, **values)


def test_connected_mailboxes_with_sync_enabled_are_synced_the_dropbox_included(rep, teammate, outsider, manager):
    mine = connected(rep)
    dropbox = connected()
    connected(teammate, sync_enabled=False)
    Mailbox.objects.create(user=outsider)  # preferences only, no server
    inactive = factories.UserFactory(is_active=False)
    connected(inactive)

    assert list(sync.mailboxes_to_sync()) == [mine, dropbox]


def test_a_sync_already_running_for_the_mailbox_is_not_started_twice(rep):
    mailbox = connected(rep)
    cache.add(f"mail-sync-lock:{mailbox.pk}", "another run", timeout=60)
    try:
        assert tasks.sync_mailbox(mailbox.pk) == f"mailbox {mailbox.pk}: skipped (a sync is running)"
    finally:
        cache.delete(f"mail-sync-lock:{mailbox.pk}")
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.NOT_CONNECTED  # untouched: no run happened


def test_the_task_skips_a_disabled_mailbox(rep):
    mailbox = connected(rep, sync_enabled=False)
    assert tasks.sync_mailbox(mailbox.pk) == f"mailbox {mailbox.pk}: skipped (not connected or sync disabled)"


@pytest.mark.mailserver
def test_the_command_syncs_one_mailbox_and_releases_its_lock(connect_mailbox, mail_server, rep):
    mailbox = connect_mailbox(rep)
    deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, "Via command"))
    out = io.StringIO()

    call_command("sync_mail", "--mailbox", str(mailbox.pk), stdout=out)

    assert f"mailbox {mailbox.pk}: inbox (INBOX): 1 new, 0 duplicates, 0 skipped, 0 errors" in out.getvalue()
    assert EmailMessage.objects.filter(owner=rep, subject="Via command").exists()
    assert cache.get(f"mail-sync-lock:{mailbox.pk}") is None


def test_the_command_refuses_a_mailbox_that_is_not_connected(rep):
    mailbox = Mailbox.objects.create(user=rep)
    with pytest.raises(CommandError, match="not connected"):
        call_command("sync_mail", "--mailbox", str(mailbox.pk))


@pytest.fixture
def eager_celery():
    from pipeline_crm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.mailserver
def test_the_beat_task_syncs_every_connected_mailbox(connect_mailbox, mail_server, rep, teammate, eager_celery):
    mine, theirs = connect_mailbox(rep), connect_mailbox(teammate)
    for mailbox in (mine, theirs):
        deliver(mail_server, mailbox, make_email("anna@customer.test", mailbox.email_address, f"For {mailbox.pk}"))

    assert tasks.sync_all_mailboxes() == 2

    assert sorted(EmailMessage.objects.values_list("owner", "subject")) == sorted(
        [(rep.pk, f"For {mine.pk}"), (teammate.pk, f"For {theirs.pk}")]
    )
