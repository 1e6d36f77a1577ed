import pytest

from mail.connection import MailConnectionError, Step, imap_session, open_smtp

pytestmark = pytest.mark.mailserver


def test_a_connected_mailbox_opens_imap_and_smtp_with_verified_tls(connect_mailbox, rep):
    mailbox = connect_mailbox(rep)
    with imap_session(mailbox) as client:
        assert client.select("INBOX")[0] == "OK"
    smtp = open_smtp(mailbox)
    smtp.quit()


def test_an_untrusted_certificate_is_reported_as_a_tls_failure(connect_mailbox, rep, settings):
    mailbox = connect_mailbox(rep)
    settings.CRM_MAIL_CA_FILE = ""
    with pytest.raises(MailConnectionError) as failure, imap_session(mailbox):
        pass
    assert failure.value.step == Step.TLS


def test_a_wrong_password_is_reported_as_a_login_failure_without_the_password(connect_mailbox, rep):
    from mail import crypto

    mailbox = connect_mailbox(rep, secret=crypto.seal("wrong-password-123"))
    with pytest.raises(MailConnectionError) as failure:
        open_smtp(mailbox)
    assert failure.value.step == Step.LOGIN
    assert "wrong-password-123" not in str(failure.value)
