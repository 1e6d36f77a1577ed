"""E-mail backends for tests: mail servers that refuse, or that let a test act while a
message is being handed over (the message is accepted when the hook returns)."""

import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class HookedBackend(BaseEmailBackend):
    """Like the locmem backend (messages land in mail.outbox), but calls `HookedBackend.hook`
    with the message number (1, 2, …, counted over all connections) before accepting it.
    The hook may raise to make the server fail that message."""

    hook = None
    count = 0

    def send_messages(self, email_messages):
        for message in email_messages:
            HookedBackend.count += 1
            if HookedBackend.hook is not None:
                HookedBackend.hook(HookedBackend.count)
            mail.outbox.append(message)
        return len(email_messages)
