"""The mailbox admin: the shared BCC dropbox configured by an admin, the password write-only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from mail import crypto
from mail.models import EmailMessage, Mailbox
from tests import factories
from tests.mail.conftest import mailbox_form_data


def _dropbox_data(mail_server, address, password="", **overrides):
    return (
        mailbox_form_data(
            mail_server,
            address,
            password,
            kind="dropbox",
            user="",
            display_name="CRM dropbox",
            sharing="linked",
            signature="",
            dropbox_token="feedfacecafebeef",
            **{"folders-TOTAL_FORMS": "0", "folders-INITIAL_FORMS": "0"},
        )
        | overrides
    )


@pytest.mark.mailserver
def test_an_admin_connects_the_shared_dropbox_with_a_tested_sealed_password(
    client, admin, mail_settings, mail_server, server_account
):
    address, password = server_account("dropbox")
    client.force_login(admin)
    response = client.post(reverse("admin:mail_mailbox_add"), _dropbox_data(mail_server, address, password))
    assert response.status_code == 302, response.content.decode()[:2000]
    dropbox = Mailbox.objects.get(kind="dropbox")
    assert dropbox.user is None and dropbox.username == address
    assert crypto.reveal(dropbox.secret) == password
    assert dropbox.status == Mailbox.Status.OK
    assert dict(dropbox.folders.values_list("role", "name")) == {"inbox": "INBOX", "sent": "Sent"}
    change = client.get(reverse("admin:mail_mailbox_change", args=[dropbox.pk])).content.decode()
    assert password not in change and dropbox.secret not in change
    listing = client.get(reverse("admin:mail_mailbox_changelist")).content.decode()
    assert address in listing and dropbox.secret not in listing


@pytest.mark.mailserver
def test_the_admin_refuses_a_dropbox_that_fails_the_test(client, admin, mail_settings, mail_server, server_account):
    address, _password = server_account("dropbox-bad")
    client.force_login(admin)
    response = client.post(reverse("admin:mail_mailbox_add"), _dropbox_data(mail_server, address, "wrong-pw"))
    assert response.status_code == 200
    assert "the connection test failed" in response.content.decode()
    assert not Mailbox.objects.filter(kind="dropbox").exists()


def test_the_admin_refuses_a_dropbox_with_a_user_and_a_second_dropbox(client, admin, rep, mail_server):
    Mailbox.objects.create(kind="dropbox")
    client.force_login(admin)
    data = _dropbox_data(mail_server, "x@crm.test", imap_host="", smtp_host="", user=rep.pk)
    body = client.post(reverse("admin:mail_mailbox_add"), data).content.decode()
    assert "belongs to no user" in body
    assert "There is a shared BCC dropbox already" in body
    assert Mailbox.objects.count() == 1


def test_a_sharing_change_in_the_admin_recomputes_the_owners_shared_messages(client, admin, rep):
    mailbox = Mailbox.objects.create(user=rep, email_address="alice@crm.test")
    message = EmailMessage.objects.create(
        owner=rep,
        source="inbox",
        message_id="<3@example.com>",
        direction="in",
        sent_at=timezone.now(),
        deal=factories.DealFactory(owner=rep),
        shared=True,
    )
    client.force_login(admin)
    data = {
        "kind": "personal",
        "user": rep.pk,
        "email_address": "alice@crm.test",
        "imap_port": 993,
        "imap_security": "ssl",
        "smtp_port": 587,
        "smtp_security": "starttls",
        "inbox_folder": "INBOX",
        "sharing": "none",
        "dropbox_token": mailbox.dropbox_token,
        "folders-TOTAL_FORMS": "0",
        "folders-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:mail_mailbox_change", args=[mailbox.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    message.refresh_from_db()
    assert message.shared is False
