"""The mailbox password is never logged, printed or rendered: not while saving, testing the
connection or failing to sign in, and not in the repr of the model or the form."""

import logging

import pytest
from django.urls import reverse

from mail import crypto
from mail.mailbox_forms import MailboxAdminForm, MailboxForm
from mail.models import Mailbox
from tests.mail.conftest import mailbox_form_data

pytestmark = pytest.mark.mailserver


def test_save_test_connection_and_a_failing_login_log_no_password(
    client, rep, mail_settings, mail_server, server_account, caplog, capfd
):
    address, password = server_account("secret")
    wrong = "Wr0ng-" + password
    client.force_login(rep)
    with caplog.at_level(logging.DEBUG):
        client.post(
            reverse("mail:mailbox_test"), mailbox_form_data(mail_server, address, password), headers={"HX-Request": "1"}
        )
        assert (
            client.post(reverse("mail:mailbox"), mailbox_form_data(mail_server, address, password)).status_code == 302
        )
        failed = client.post(reverse("mail:mailbox_test"), mailbox_form_data(mail_server, address, wrong))
        assert 'data-step="imap_login" data-state="failed"' in failed.content.decode()
    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [repr(record.args) for record in caplog.records]
        + [record.exc_text or "" for record in caplog.records]
    )
    assert len(caplog.records) > 0  # the SMTP server's log, at least, was captured
    printed = capfd.readouterr()
    for secret in (password, wrong):
        assert secret not in logged
        assert secret not in printed.out and secret not in printed.err
    mailbox = Mailbox.objects.get(user=rep)
    assert crypto.reveal(mailbox.secret) == password
    assert password not in repr(mailbox) and password not in str(mailbox)


def test_the_repr_of_the_model_and_the_forms_hold_no_password(db, rep, mail_server):
    password = "do-not-show-me-1"
    mailbox = Mailbox.objects.create(user=rep, email_address="alice@crm.test", secret=crypto.seal(password))
    form = MailboxForm(mailbox_form_data(mail_server, "alice@crm.test", password), instance=mailbox)
    form.is_valid()
    admin_form = MailboxAdminForm(mailbox_form_data(mail_server, "alice@crm.test", password) | {"kind": "personal"})
    for text in (repr(mailbox), str(mailbox), repr(form), repr(admin_form), str(form["password"])):
        assert password not in text
        assert mailbox.secret not in text
