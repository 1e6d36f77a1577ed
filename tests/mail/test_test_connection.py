"""Test connection (mail/probe.py and /accounts/mailbox/test/) against the real IMAP/SMTP server:
each step passed or failed with a human message, never the password."""

import socket

import pytest
from django.urls import reverse

from mail import crypto, probe
from mail.models import Mailbox
from tests.mail.conftest import mailbox_form_data as _form_data

pytestmark = pytest.mark.mailserver


def _unsaved(mail_server, address, **overrides):
    fields = {
        "email_address": address,
        "imap_host": mail_server.host,
        "imap_port": mail_server.ports["imap"],
        "imap_security": Mailbox.Security.STARTTLS,
        "smtp_host": mail_server.host,
        "smtp_port": mail_server.ports["smtp"],
        "smtp_security": Mailbox.Security.STARTTLS,
        "username": address,
    } | overrides
    return Mailbox(**fields)


def _states(report):
    return {step.key: step.state for step in report.steps}


def _step(report, key):
    return next(step for step in report.steps if step.key == key)


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_working_account_passes_every_step_and_names_the_sent_folder(mail_settings, mail_server, server_account):
    address, password = server_account("ok")
    report = probe.probe(_unsaved(mail_server, address), password=password)
    assert report.ok, report.summary()
    assert set(_states(report).values()) == {probe.PASSED}
    assert list(_states(report)) == [
        "imap_dns",
        "imap_connect",
        "imap_tls",
        "imap_login",
        "imap_inbox",
        "imap_sent",
        "smtp_dns",
        "smtp_connect",
        "smtp_tls",
        "smtp_login",
    ]
    assert report.sent_folder == "Sent" and report.sent_found_by == "special-use"
    assert "Sent" in _step(report, "imap_sent").message
    assert report.inbox_folder == "INBOX"


def test_implicit_tls_on_the_imaps_port_passes(mail_settings, mail_server, server_account):
    address, password = server_account("ssl")
    mailbox = _unsaved(mail_server, address, imap_port=mail_server.ports["imaps"], imap_security=Mailbox.Security.SSL)
    report = probe.probe(mailbox, password=password)
    assert report.ok, report.summary()


def test_an_unknown_host_fails_at_dns_and_tries_nothing_after_it(mail_settings, mail_server, server_account):
    address, password = server_account("dns")
    report = probe.probe(_unsaved(mail_server, address, imap_host="mail.nowhere.invalid"), password=password)
    states = _states(report)
    assert states["imap_dns"] == probe.FAILED
    assert states["imap_connect"] == states["imap_login"] == states["imap_inbox"] == probe.NOT_RUN
    assert "DNS" in _step(report, "imap_dns").message
    assert "mail.nowhere.invalid" in _step(report, "imap_dns").detail
    assert states["smtp_login"] == probe.PASSED  # SMTP is tried on its own
    assert not report.ok


def test_a_refused_port_fails_at_connect(mail_settings, mail_server, server_account):
    address, password = server_account("refused")
    report = probe.probe(_unsaved(mail_server, address, smtp_port=_closed_port()), password=password)
    states = _states(report)
    assert states["smtp_dns"] == probe.PASSED
    assert states["smtp_connect"] == probe.FAILED
    assert states["smtp_tls"] == states["smtp_login"] == probe.NOT_RUN
    assert "could not be reached" in _step(report, "smtp_connect").message
    assert states["imap_sent"] == probe.PASSED


def test_an_untrusted_certificate_fails_at_tls(mail_settings, mail_server, server_account):
    address, password = server_account("untrusted")
    mail_settings.CRM_MAIL_CA_FILE = ""
    report = probe.probe(_unsaved(mail_server, address), password=password)
    states = _states(report)
    assert states["imap_connect"] == probe.PASSED
    assert states["imap_tls"] == probe.FAILED and states["smtp_tls"] == probe.FAILED
    assert "certificate" in _step(report, "imap_tls").detail.lower()
    assert states["imap_login"] == probe.NOT_RUN


def test_implicit_tls_against_the_starttls_port_fails_at_tls(mail_settings, mail_server, server_account):
    address, password = server_account("wrongmode")
    report = probe.probe(_unsaved(mail_server, address, imap_security=Mailbox.Security.SSL), password=password)
    assert _states(report)["imap_tls"] == probe.FAILED
    assert _step(report, "imap_tls").message == "The secure connection (TLS) failed"


def test_a_wrong_password_fails_the_sign_in_of_imap_and_smtp_without_showing_it(
    mail_settings, mail_server, server_account
):
    address, _password = server_account("wrongpw")
    report = probe.probe(_unsaved(mail_server, address), password="not-the-password-42")
    states = _states(report)
    assert states["imap_tls"] == probe.PASSED
    assert states["imap_login"] == probe.FAILED and states["smtp_login"] == probe.FAILED
    assert states["imap_inbox"] == probe.NOT_RUN
    assert "refused the user name or password" in _step(report, "imap_login").message
    assert "not-the-password-42" not in repr(report)


def test_a_missing_inbox_folder_fails_at_the_folder(mail_settings, mail_server, server_account):
    address, password = server_account("noinbox")
    report = probe.probe(_unsaved(mail_server, address, inbox_folder="Archive 2019"), password=password)
    states = _states(report)
    assert states["imap_login"] == probe.PASSED
    assert states["imap_inbox"] == probe.FAILED
    assert "Archive 2019" in _step(report, "imap_inbox").message
    assert states["imap_sent"] == probe.NOT_RUN


def test_a_named_sent_folder_that_does_not_exist_fails(mail_settings, mail_server, server_account):
    address, password = server_account("nosent")
    report = probe.probe(_unsaved(mail_server, address, sent_folder="Gesendete Objekte"), password=password)
    assert _states(report)["imap_inbox"] == probe.PASSED
    assert _states(report)["imap_sent"] == probe.FAILED
    assert "Gesendete Objekte" in _step(report, "imap_sent").message


def test_no_encryption_skips_the_tls_step_and_says_why(mail_settings, mail_server, server_account):
    address, password = server_account("plain")
    report = probe.probe(_unsaved(mail_server, address, imap_security=Mailbox.Security.NONE), password=password)
    step = _step(report, "imap_tls")
    assert step.state == probe.SKIPPED and "unencrypted" in step.message
    assert _states(report)["imap_login"] == probe.PASSED


def test_the_button_answers_htmx_with_the_report_only_and_saves_nothing(
    client, rep, mail_settings, mail_server, server_account
):
    address, password = server_account("button")
    client.force_login(rep)
    response = client.post(
        reverse("mail:mailbox_test"), _form_data(mail_server, address, password), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="mailbox-test-report"')
    assert "The connection works." in body
    assert "marked as Sent by the server" in body
    assert password not in body
    mailbox = Mailbox.objects.get(user=rep)
    assert mailbox.status == Mailbox.Status.NOT_CONNECTED and mailbox.secret == ""


def test_the_button_uses_the_stored_password_when_the_field_is_empty(client, rep, connect_mailbox, mail_server):
    mailbox = connect_mailbox(rep)
    client.force_login(rep)
    data = _form_data(mail_server, mailbox.email_address, username=mailbox.username)
    response = client.post(reverse("mail:mailbox_test"), data, headers={"HX-Request": "true"})
    assert "The connection works." in response.content.decode()


def test_the_button_shows_what_to_correct_when_the_form_is_incomplete(client, rep, mail_settings):
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_test"), {"email_address": "x"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Not tested: please correct these first." in body
    assert "Enter a valid email address." in body


def test_without_javascript_the_test_answers_the_whole_page_with_the_report(
    client, rep, mail_settings, mail_server, server_account
):
    address, _password = server_account("nojs")
    client.force_login(rep)
    response = client.post(reverse("mail:mailbox_test"), _form_data(mail_server, address, "wrong-pw-7"))
    body = response.content.decode()
    assert "<h1>Your mailbox</h1>" in body
    assert "The connection failed." in body
    assert 'data-step="imap_login" data-state="failed"' in body
    assert "wrong-pw-7" not in body


def test_a_stored_secret_is_not_sent_to_another_server(client, rep, connect_mailbox, mail_server):
    mailbox = connect_mailbox(rep)
    client.force_login(rep)
    data = _form_data(mail_server, mailbox.email_address, username=mailbox.username, imap_host="localhost")
    response = client.post(reverse("mail:mailbox_test"), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "enter the password again" in body
    assert "The connection works." not in body
    assert crypto.reveal(Mailbox.objects.get(pk=mailbox.pk).secret) == mailbox.server_password


def test_a_detail_that_would_contain_the_password_shows_stars_instead(mail_settings, mail_server, server_account):
    address, _password = server_account("scrub")
    mailbox = _unsaved(mail_server, address, imap_host="hunter22.invalid", smtp_host="hunter22.invalid")
    report = probe.probe(mailbox, password="hunter22")
    assert _step(report, "imap_dns").detail.startswith("***.invalid")
    assert "hunter22" not in repr(report)
