"""The mailbox page /accounts/mailbox/: connecting against the real server, the write-only
password, status, Sync now, preferences, disconnect, and production without CRM_MAIL_KEYS."""

import pytest
from django.urls import reverse
from django.utils import timezone

from mail import crypto
from mail.models import EmailMessage, Mailbox, MailFolder
from pipeline_crm.celery import app as celery_app
from tests import factories
from tests.mail.conftest import mailbox_form_data as _form_data


def _queued_tasks():
    """(task name, args) of the messages waiting on the broker's default queue, taken off it."""
    found = []
    with celery_app.connection_for_write() as connection:
        queue = connection.SimpleQueue(celery_app.conf.task_default_queue)
        try:
            while True:
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    break
                found.append((message.headers["task"], message.decode()[0]))
                message.ack()
        finally:
            queue.close()
    return found


def test_the_page_is_the_users_own_and_made_on_first_visit(client, rep):
    client.force_login(rep)
    response = client.get(reverse("mail:mailbox"))
    assert response.status_code == 200
    mailbox = Mailbox.objects.get(user=rep)
    assert mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.status == Mailbox.Status.NOT_CONNECTED
    assert "Your mailbox" in response.content.decode()


def test_the_user_menu_and_preferences_link_to_the_mailbox_page(client, rep):
    client.force_login(rep)
    body = client.get(reverse("accounts:preferences")).content.decode()
    assert body.count(f'href="{reverse("mail:mailbox")}"') == 2


def test_the_page_offers_the_presets_with_their_servers(client, rep):
    client.force_login(rep)
    body = client.get(reverse("mail:mailbox")).content.decode()
    assert "data-presets=" in body and "imap.gmail.com" in body and "secureimap.t-online.de" in body
    assert '<option value="ionos">IONOS</option>' in body
    assert 'src="/static/js/mailbox.js"' in body


@pytest.mark.mailserver
def test_connecting_tests_first_then_stores_the_sealed_password_status_and_folders(
    client, rep, mail_settings, mail_server, server_account, django_capture_on_commit_callbacks
):
    address, password = server_account("connect")
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mail:mailbox"), _form_data(mail_server, address, password))
    assert response.status_code == 302
    mailbox = Mailbox.objects.get(user=rep)
    assert mailbox.status == Mailbox.Status.OK and mailbox.connected_at is not None
    assert mailbox.username == address  # defaults to the address
    assert password not in mailbox.secret and crypto.reveal(mailbox.secret) == password
    folders = dict(mailbox.folders.values_list("role", "name"))
    assert folders == {MailFolder.Role.INBOX: "INBOX", MailFolder.Role.SENT: "Sent"}
    assert ("mail.sync_mailbox", [mailbox.pk]) in _queued_tasks()  # the first sync
    page = client.get(reverse("mail:mailbox")).content.decode()
    assert "A password is stored (encrypted)" in page
    assert password not in page and mailbox.secret not in page


@pytest.mark.mailserver
def test_a_connection_that_fails_the_test_is_not_saved(client, rep, mail_settings, mail_server, server_account):
    address, _password = server_account("fails")
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox"), _form_data(mail_server, address, "wrong-pw-99"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: the connection test failed" in body
    assert 'data-step="imap_login" data-state="failed"' in body
    assert "wrong-pw-99" not in body
    mailbox = Mailbox.objects.get(user=rep)
    assert mailbox.secret == "" and mailbox.imap_host == "" and mailbox.status == Mailbox.Status.NOT_CONNECTED


@pytest.mark.mailserver
def test_an_empty_password_field_keeps_the_stored_secret(client, rep, connect_mailbox, mail_server):
    mailbox = connect_mailbox(rep)
    sealed = mailbox.secret
    client.force_login(rep)
    data = _form_data(mail_server, mailbox.email_address, username=mailbox.username, display_name="A. Rep")
    response = client.post(reverse("mail:mailbox"), data)
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.secret == sealed and mailbox.display_name == "A. Rep"


@pytest.mark.mailserver
def test_a_changed_folder_is_tested_and_starts_its_sync_afresh(client, rep, connect_mailbox, mail_server):
    mailbox = connect_mailbox(rep)
    MailFolder.objects.create(mailbox=mailbox, role="inbox", name="INBOX", uidvalidity=7, last_uid=40)
    MailFolder.objects.create(mailbox=mailbox, role="sent", name="Old Sent", uidvalidity=7, last_uid=12)
    client.force_login(rep)
    data = _form_data(mail_server, mailbox.email_address, username=mailbox.username, sent_folder="Sent")
    assert client.post(reverse("mail:mailbox"), data).status_code == 302
    inbox, sent = mailbox.folders.get(role="inbox"), mailbox.folders.get(role="sent")
    assert (inbox.uidvalidity, inbox.last_uid) == (7, 40)  # same account and folder: kept
    assert (sent.name, sent.uidvalidity, sent.last_uid) == ("Sent", None, 0)


@pytest.mark.mailserver
def test_another_server_needs_the_password_typed_again(client, rep, connect_mailbox, mail_server):
    mailbox = connect_mailbox(rep)
    client.force_login(rep)
    data = _form_data(mail_server, mailbox.email_address, username="someone-else@crm.test")
    response = client.post(reverse("mail:mailbox"), data)
    assert response.status_code == 200
    assert "enter the password again" in response.content.decode()
    assert Mailbox.objects.get(pk=mailbox.pk).username == mailbox.username


def test_bad_input_re_renders_the_form_with_messages(client, rep):
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox"), {"email_address": "not-an-address", "imap_port": "99999"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in body
    assert "This field is required." in body  # the servers
    assert "Ensure this value is less than or equal to 65535." in body


def test_sync_now_enqueues_the_sync_task_by_name_after_commit(client, rep, django_capture_on_commit_callbacks):
    Mailbox.objects.create(
        user=rep, imap_host="imap.example.com", username="alice", secret=crypto.seal("x"), status="ok"
    )
    _queued_tasks()  # an empty queue to start with
    client.force_login(rep)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("mail:mailbox_sync"), headers={"HX-Request": "true"})
    assert _queued_tasks() == []  # nothing before the commit
    for callback in callbacks:
        callback()
    mailbox = Mailbox.objects.get(user=rep)
    assert _queued_tasks() == [("mail.sync_mailbox", [mailbox.pk])]
    assert "Sync requested" in response.content.decode()
    assert response.content.decode().lstrip().startswith('<section id="mailbox-status"')


def test_sync_now_on_a_mailbox_without_a_server_says_to_connect_first(client, rep):
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_sync"), follow=True)
    assert "Connect the mailbox first." in response.content.decode()


def test_the_status_shows_last_sync_last_error_and_failures_in_a_row(client, rep):
    now = timezone.now()
    Mailbox.objects.create(
        user=rep,
        email_address="alice@example.com",
        imap_host="imap.example.com",
        username="alice",
        secret=crypto.seal("x"),
        status=Mailbox.Status.FAILING,
        last_synced_at=now,
        last_error="IMAP: The server refused the user name or password: [AUTHENTICATIONFAILED]",
        last_error_at=now,
        failure_count=3,
    )
    client.force_login(rep)
    body = client.get(reverse("mail:mailbox_status")).content.decode()
    assert "failing" in body
    assert "[AUTHENTICATIONFAILED]" in body
    assert "3 failures in a row" in body
    assert "not yet" not in body
    assert 'data-testid="mailbox-sync-now"' in body


def test_disconnecting_removes_the_secret_and_servers_and_keeps_the_messages(client, rep):
    mailbox = Mailbox.objects.create(
        user=rep,
        email_address="alice@example.com",
        imap_host="imap.example.com",
        smtp_host="smtp.example.com",
        username="alice",
        secret=crypto.seal("x"),
        status="ok",
        connected_at=timezone.now(),
        signature="Alice",
    )
    folder = MailFolder.objects.create(mailbox=mailbox, role="inbox", name="INBOX", last_uid=5)
    message = EmailMessage.objects.create(
        owner=rep,
        mailbox=mailbox,
        folder=folder,
        source="inbox",
        message_id="<1@example.com>",
        direction="in",
        sent_at=timezone.now(),
    )
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_disconnect"), follow=True)
    assert "The messages already synced stay in the CRM" in response.content.decode()
    mailbox.refresh_from_db()
    assert (mailbox.secret, mailbox.imap_host, mailbox.smtp_host, mailbox.username) == ("", "", "", "")
    assert not mailbox.sync_enabled and mailbox.status == Mailbox.Status.NOT_CONNECTED
    assert mailbox.signature == "Alice" and mailbox.email_address == "alice@example.com"
    assert not mailbox.folders.exists()
    message.refresh_from_db()
    assert message.mailbox_id == mailbox.pk and message.folder_id is None


def test_changing_the_sharing_choice_recomputes_who_may_read_linked_messages(client, rep):
    deal = factories.DealFactory(owner=rep)
    message = EmailMessage.objects.create(
        owner=rep,
        source="inbox",
        message_id="<2@example.com>",
        direction="in",
        sent_at=timezone.now(),
        deal=deal,
        shared=True,
    )
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_preferences"), {"sharing": "none"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.shared is False
    client.post(reverse("mail:mailbox_preferences"), {"sharing": "linked"})
    message.refresh_from_db()
    assert message.shared is True


def test_preferences_with_bad_input_come_back_with_a_message(client, rep):
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_preferences"), {"sharing": "everyone"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_a_new_bcc_address_replaces_the_old_one(client, rep, settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    client.force_login(rep)
    client.get(reverse("mail:mailbox"))
    old = Mailbox.objects.get(user=rep).dropbox_token
    response = client.post(reverse("mail:mailbox_bcc_address"), headers={"HX-Request": "true"})
    new = Mailbox.objects.get(user=rep).dropbox_token
    body = response.content.decode()
    assert new != old
    assert f"crm+{new}@pipeline.example" in body and old not in body
    assert "the old one links nothing from now on" in body


def test_the_page_shows_the_users_bcc_address(client, rep, settings):
    settings.CRM_MAIL_DROPBOX_ADDRESS = "crm@pipeline.example"
    client.force_login(rep)
    body = client.get(reverse("mail:mailbox")).content.decode()
    token = Mailbox.objects.get(user=rep).dropbox_token
    assert f"crm+{token}@pipeline.example" in body


def test_without_mail_keys_the_page_says_the_administrator_must_set_them(client, rep, settings, mail_server):
    settings.CRM_MAIL_KEYS = []
    client.force_login(rep)
    page = client.get(reverse("mail:mailbox"))
    assert page.status_code == 200
    assert "the administrator must set CRM_MAIL_KEYS" in page.content.decode()
    response = client.post(reverse("mail:mailbox"), _form_data(mail_server, "alice@crm.test", "pw"))
    assert response.status_code == 200
    assert "until the administrator sets CRM_MAIL_KEYS" in response.content.decode()
    tested = client.post(
        reverse("mail:mailbox_test"), _form_data(mail_server, "alice@crm.test", "pw"), headers={"HX-Request": "true"}
    )
    assert tested.status_code == 200
    assert Mailbox.objects.get(user=rep).secret == ""


def test_the_page_speaks_german(client, rep):
    client.force_login(rep)
    body = client.get(reverse("mail:mailbox"), headers={"Accept-Language": "de"}).content.decode()
    assert "Ihr Postfach" in body and "Verbindung testen" in body and "Posteingang (IMAP)" in body
    assert "Benutzername" in body
