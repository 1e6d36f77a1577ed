"""Test connection: try a mailbox's settings step by step and say which step failed and why.

IMAP: DNS → connect → TLS → sign-in → the inbox folder → the Sent folder (LIST with special-use);
SMTP: DNS → connect → TLS → sign-in. IMAP and SMTP are tried independently, so a wrong password
shows on both. The connections are opened by mail/connection.py, the code the sync and sending
use. The password is never part of a step's message: each detail is scrubbed of it as well.
"""

import contextlib
import imaplib
import socket
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from mail import folders
from mail.connection import Credentials, MailConnectionError, Step, open_imap, open_smtp

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not_run"


@dataclass
class StepResult:
    key: str
    label: str
    state: str = NOT_RUN
    message: str = ""
    detail: str = ""

    @property
    def failed(self):
        return self.state == FAILED


@dataclass
class Report:
    steps: list = field(default_factory=list)
    inbox_folder: str = ""  # the server's (encoded) names, for MailFolder
    sent_folder: str = ""
    sent_found_by: str = ""  # "special-use", "name" or "setting"

    @property
    def ok(self):
        return all(step.state in (PASSED, SKIPPED) for step in self.steps)

    @property
    def first_failure(self):
        return next((step for step in self.steps if step.failed), None)

    def summary(self):
        """One line for Mailbox.last_error."""
        failure = self.first_failure
        return f"{failure.label}: {failure.message} {failure.detail}".strip()[:500] if failure else ""


def _steps(protocol, security):
    label = {"IMAP": _("IMAP"), "SMTP": _("SMTP")}[protocol]
    steps = {
        Step.DNS: StepResult(f"{protocol.lower()}_dns", _("%(protocol)s: server name (DNS)") % {"protocol": label}),
        Step.CONNECT: StepResult(f"{protocol.lower()}_connect", _("%(protocol)s: connection") % {"protocol": label}),
        Step.TLS: StepResult(
            f"{protocol.lower()}_tls", _("%(protocol)s: secure connection (TLS)") % {"protocol": label}
        ),
        Step.LOGIN: StepResult(f"{protocol.lower()}_login", _("%(protocol)s: sign-in") % {"protocol": label}),
    }
    if security == "none":
        steps[Step.TLS].state = SKIPPED
        steps[Step.TLS].message = _("No encryption chosen: the password travels unencrypted.")
    return steps


def _fail_at(steps, error, security, scrub):
    """Mark the steps before the failing one passed, the failing one failed."""
    step = error.step
    if step == Step.PROTOCOL:  # before sign-in: an answer that is not the protocol, or no STARTTLS
        step = Step.TLS if security == "starttls" else Step.CONNECT
    if step == Step.FOLDER:
        step = Step.LOGIN
    order = [Step.DNS, Step.CONNECT, Step.TLS, Step.LOGIN]
    for earlier in order[: order.index(step)]:
        if steps[earlier].state == NOT_RUN:
            steps[earlier].state = PASSED
    steps[step].state = FAILED
    steps[step].message = str(error.label)
    steps[step].detail = scrub(error.detail)


def _passed(steps, host, port, security, username):
    for step in steps.values():
        if step.state == NOT_RUN:
            step.state = PASSED
    with contextlib.suppress(OSError, UnicodeError):
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
        steps[Step.DNS].message = _("%(host)s is %(addresses)s") % {"host": host, "addresses": ", ".join(addresses)}
    steps[Step.CONNECT].message = _("%(host)s answers on port %(port)s") % {"host": host, "port": port}
    if security != "none":
        steps[Step.TLS].message = _("encrypted, certificate verified")
    steps[Step.LOGIN].message = _("signed in as %(username)s") % {"username": username}


def _imap_text(data):
    return " ".join(item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in data or [])


@sensitive_variables("password", "credentials")
def probe(mailbox, *, password):
    """A Report for `mailbox` (saved or not: only its connection fields are read) signing in
    with `password`."""
    credentials = Credentials(mailbox.username, password=password)

    def scrub(text):
        # Servers do not echo passwords; this is a second line. A password of a few characters
        # would also match inside host names, so those are left alone (they reveal nothing).
        return str(text).replace(password, "***") if len(password) >= 4 else str(text)

    report = Report()
    imap = _steps("IMAP", mailbox.imap_security)
    inbox = StepResult("imap_inbox", _("IMAP: inbox folder"))
    sent = StepResult("imap_sent", _("IMAP: sent folder"))
    try:
        client = open_imap(mailbox, credentials=credentials)
    except MailConnectionError as error:
        _fail_at(imap, error, mailbox.imap_security, scrub)
    else:
        _passed(imap, mailbox.imap_host, mailbox.imap_port, mailbox.imap_security, mailbox.username)
        try:
            _check_folders(client, mailbox, report, inbox, sent, scrub)
        finally:
            with contextlib.suppress(Exception):
                client.logout()
    report.steps.extend([*imap.values(), inbox, sent])

    smtp = _steps("SMTP", mailbox.smtp_security)
    try:
        client = open_smtp(mailbox, credentials=credentials)
    except MailConnectionError as error:
        _fail_at(smtp, error, mailbox.smtp_security, scrub)
    else:
        _passed(smtp, mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security, mailbox.username)
        with contextlib.suppress(Exception):
            client.quit()
    report.steps.extend(smtp.values())
    return report


def _check_folders(client, mailbox, report, inbox, sent, scrub):
    inbox_name = folders.encode(mailbox.inbox_folder or "INBOX")
    try:
        typ, data = client.select(folders.quoted(inbox_name), readonly=True)
    except (imaplib.IMAP4.error, OSError) as error:
        typ, data = "NO", [str(error).encode()]
    if typ != "OK":
        inbox.state, inbox.message = (
            FAILED,
            _("The folder “%(name)s” could not be opened.") % {"name": mailbox.inbox_folder},
        )
        inbox.detail = scrub(_imap_text(data))
        sent.message = _("not tried: the inbox failed")
        return
    count = _imap_text(data).strip() or "0"
    inbox.state = PASSED
    inbox.message = _("“%(name)s” opened (%(count)s messages)") % {
        "name": mailbox.inbox_folder or "INBOX",
        "count": count,
    }
    report.inbox_folder = inbox_name

    try:
        if mailbox.sent_folder:
            name, how = folders.encode(mailbox.sent_folder), "setting"
            typ, data = client.select(folders.quoted(name), readonly=True)
            if typ != "OK":
                sent.state = FAILED
                sent.message = _("The folder “%(name)s” could not be opened.") % {"name": mailbox.sent_folder}
                sent.detail = scrub(_imap_text(data))
                return
        else:
            name, how = folders.find_sent(client)
            if name is None:
                sent.state = FAILED
                sent.message = _(
                    "The server marks no folder as Sent and none has a usual name: enter the sent folder's name."
                )
                return
    except (imaplib.IMAP4.error, OSError) as error:
        sent.state, sent.message, sent.detail = FAILED, _("The folder list could not be read."), scrub(error)
        return
    sent.state = PASSED
    readable = folders.decode(name)
    sent.message = {
        "special-use": _("found “%(name)s” (marked as Sent by the server)"),
        "name": _("found “%(name)s” (by its name; the server marks no folder as Sent)"),
        "setting": _("“%(name)s” opened"),
    }[how] % {"name": readable}
    report.sent_folder, report.sent_found_by = name, how
