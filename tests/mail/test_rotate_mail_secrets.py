"""manage.py rotate_mail_secrets: every secret re-encrypted with the first key of CRM_MAIL_KEYS."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, ManagementUtility, call_command

from mail import crypto
from mail.models import Mailbox
from tests import factories

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _mailboxes(passwords):
    return [
        Mailbox.objects.create(user=factories.UserFactory(), imap_host="imap.example.com", secret=crypto.seal(pw))
        for pw in passwords
    ]


def _rotate():
    out = io.StringIO()
    call_command("rotate_mail_secrets", stdout=out)
    return out.getvalue()


def test_rotation_from_key_a_to_b_leaves_every_secret_readable_with_b_alone(db, settings):
    settings.CRM_MAIL_KEYS = [KEY_A]
    mailboxes = _mailboxes(["first-pw", "second-pw"])
    dropbox = Mailbox.objects.create(kind="dropbox", secret=crypto.seal("dropbox-pw"))
    untouched = Mailbox.objects.create(user=factories.UserFactory())  # no secret: nothing to do

    settings.CRM_MAIL_KEYS = [KEY_B, KEY_A]
    assert "Re-encrypted 3 mailbox secret(s)" in _rotate()

    settings.CRM_MAIL_KEYS = [KEY_B]
    revealed = [crypto.reveal(Mailbox.objects.get(pk=m.pk).secret) for m in [*mailboxes, dropbox]]
    assert revealed == ["first-pw", "second-pw", "dropbox-pw"]
    assert Mailbox.objects.get(pk=untouched.pk).secret == ""


def test_without_rotation_removing_the_old_key_makes_secrets_unreadable(db, settings):
    settings.CRM_MAIL_KEYS = [KEY_A]
    (mailbox,) = _mailboxes(["pw"])
    settings.CRM_MAIL_KEYS = [KEY_B]
    with pytest.raises(crypto.SecretUnreadable):
        crypto.reveal(Mailbox.objects.get(pk=mailbox.pk).secret)


def test_a_secret_no_key_opens_is_reported_by_id_left_unchanged_and_fails_the_command(db, settings):
    settings.CRM_MAIL_KEYS = [KEY_A]
    lost = _mailboxes(["lost-pw"])[0]
    settings.CRM_MAIL_KEYS = [KEY_B]
    kept = _mailboxes(["kept-pw"])[0]
    sealed_lost = Mailbox.objects.get(pk=lost.pk).secret
    with pytest.raises(CommandError) as failure:
        _rotate()
    assert f"mailbox id(s) {lost.pk}" in str(failure.value)
    assert "lost-pw" not in str(failure.value)
    assert Mailbox.objects.get(pk=lost.pk).secret == sealed_lost
    assert crypto.reveal(Mailbox.objects.get(pk=kept.pk).secret) == "kept-pw"


def test_the_command_exits_non_zero_for_an_unreadable_secret(db, settings):
    settings.CRM_MAIL_KEYS = [KEY_A]
    _mailboxes(["pw"])
    settings.CRM_MAIL_KEYS = [KEY_B]
    with pytest.raises(SystemExit) as exit_status:  # as `manage.py rotate_mail_secrets` ends
        ManagementUtility(["manage.py", "rotate_mail_secrets"]).execute()
    assert exit_status.value.code == 1
