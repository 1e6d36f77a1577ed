"""Opening IMAP and SMTP connections for a mailbox, with errors that say which step failed.

Every connection verifies the server's certificate against the system's CAs (plus
CRM_MAIL_CA_FILE, for a company CA or the development server's certificate). Each step is
named in the error: DNS (the host name does not resolve), CONNECT (nothing answers on the port,
or the time ran out), TLS (handshake or certificate), LOGIN (the server refused the
credentials), FOLDER (a folder is missing). The secret is decrypted only here and is never in
an error message.

Sign-in with OAuth 2.0 (XOAUTH2) is a seam: `credentials_for()` is the one place that turns a
mailbox into what the server is sent; an OAuth provider adds a branch there that returns an
access token (refreshed with the stored refresh token) and `login_imap`/`login_smtp` send it
with the XOAUTH2 mechanism. No provider is connected yet (docs/email.md).
"""

import base64
import contextlib
import imaplib
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mail import crypto


class Step:
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    LOGIN = "login"
    FOLDER = "folder"
    PROTOCOL = "protocol"


STEP_LABELS = {
    Step.DNS: _("The server name could not be resolved (DNS)"),
    Step.CONNECT: _("The server could not be reached"),
    Step.TLS: _("The secure connection (TLS) failed"),
    Step.LOGIN: _("The server refused the user name or password"),
    Step.FOLDER: _("A folder could not be opened"),
    Step.PROTOCOL: _("The server answered unexpectedly"),
}


class MailConnectionError(Exception):
    """A connection step failed; `step` says which, `detail` what the server or the system said."""

    def __init__(self, step, detail, *, protocol="IMAP"):
        self.step = step
        self.detail = str(detail)[:300]
        self.protocol = protocol
        super().__init__(f"{protocol}: {STEP_LABELS[step]}: {self.detail}")

    @property
    def label(self):
        return STEP_LABELS[self.step]


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""
    access_token: str = ""  # XOAUTH2, when a provider is connected

    def __repr__(self):  # never in a log or a traceback
        return f"Credentials(username={self.username!r}, secret=***)"


def credentials_for(mailbox):
    if mailbox.auth_method == mailbox.Auth.OAUTH2:
        return Credentials(mailbox.username, access_token=crypto.reveal(mailbox.secret))
    return Credentials(mailbox.username, password=crypto.reveal(mailbox.secret))


def tls_context():
    context = ssl.create_default_context()
    if getattr(settings, "CRM_MAIL_CA_FILE", ""):
        context.load_verify_locations(cafile=settings.CRM_MAIL_CA_FILE)
    return context


def _timeout():
    return getattr(settings, "CRM_MAIL_TIMEOUT", 20)


def _resolve(host, port, protocol):
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise MailConnectionError(Step.DNS, f"{host}: {error}", protocol=protocol) from error


def _translate(error, protocol):
    """The step an exception from imaplib/smtplib/ssl/socket belongs to."""
    if isinstance(error, MailConnectionError):
        return error
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return MailConnectionError(Step.TLS, error, protocol=protocol)
    if isinstance(error, socket.gaierror):
        return MailConnectionError(Step.DNS, error, protocol=protocol)
    if isinstance(error, OSError):  # refused, unreachable, timed out, reset
        return MailConnectionError(Step.CONNECT, error or type(error).__name__, protocol=protocol)
    return MailConnectionError(Step.PROTOCOL, error, protocol=protocol)


def _xoauth2(username, token):
    return f"user={username}\x01auth=Bearer {token}\x01\x01".encode()


def open_imap(mailbox, *, credentials=None):
    """A logged-in imaplib client for the mailbox; the caller logs out (or uses `imap_session`)."""
    host, port, security = mailbox.imap_host, mailbox.imap_port, mailbox.imap_security
    credentials = credentials or credentials_for(mailbox)
    _resolve(host, port, "IMAP")
    try:
        if security == mailbox.Security.SSL:
            client = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(), timeout=_timeout())
        else:
            client = imaplib.IMAP4(host, port, timeout=_timeout())
            if security == mailbox.Security.STARTTLS:
                client.starttls(ssl_context=tls_context())
    except (OSError, imaplib.IMAP4.error) as error:
        raise _translate(error, "IMAP") from error
    try:
        if credentials.access_token:
            client.authenticate("XOAUTH2", lambda _: _xoauth2(credentials.username, credentials.access_token))
        else:
            client.login(credentials.username, credentials.password)
    except imaplib.IMAP4.error as error:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise MailConnectionError(Step.LOGIN, _decode(error), protocol="IMAP") from error
    except OSError as error:
        raise _translate(error, "IMAP") from error
    return client


@contextlib.contextmanager
def imap_session(mailbox, **kwargs):
    client = open_imap(mailbox, **kwargs)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def open_smtp(mailbox, *, credentials=None):
    """A logged-in smtplib client for the mailbox's SMTP server; the caller quits."""
    host, port, security = mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security
    credentials = credentials or credentials_for(mailbox)
    _resolve(host, port, "SMTP")
    try:
        if security == mailbox.Security.SSL:
            client = smtplib.SMTP_SSL(host, port, timeout=_timeout(), context=tls_context())
        else:
            client = smtplib.SMTP(host, port, timeout=_timeout())
            if security == mailbox.Security.STARTTLS:
                client.starttls(context=tls_context())
    except (OSError, smtplib.SMTPException) as error:
        raise _translate(error, "SMTP") from error
    try:
        if credentials.access_token:
            token = base64.b64encode(_xoauth2(credentials.username, credentials.access_token)).decode()
            code, response = client.docmd("AUTH", f"XOAUTH2 {token}")
            if code != 235:
                raise smtplib.SMTPAuthenticationError(code, response)
        else:
            client.login(credentials.username, credentials.password)
    except smtplib.SMTPAuthenticationError as error:
        with contextlib.suppress(Exception):
            client.close()
        raise MailConnectionError(Step.LOGIN, _decode(error.smtp_error), protocol="SMTP") from error
    except smtplib.SMTPNotSupportedError as error:
        raise MailConnectionError(Step.PROTOCOL, error, protocol="SMTP") from error
    except OSError as error:
        raise _translate(error, "SMTP") from error
    return client


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, imaplib.IMAP4.error) and value.args and isinstance(value.args[0], bytes):
        return value.args[0].decode("utf-8", "replace")
    return str(value)
