"""Secrets at rest: mailbox passwords and tokens, encrypted with Fernet (the `cryptography`
library) under the keys of CRM_MAIL_KEYS.

The first key encrypts; every key decrypts (MultiFernet), so a key is rotated by putting a
new one in front, running `manage.py rotate_mail_secrets` (which re-encrypts every secret with
the first key) and then removing the old key. A secret is never shown again after it is
saved and never logged: only `reveal()` returns it, and only the code that opens a connection
calls it.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens (a key was removed too early)."""


def _parse_keys(keys):
    fernets = []
    for key in keys:
        try:
            fernets.append(Fernet(key.encode() if isinstance(key, str) else key))
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                "CRM_MAIL_KEYS holds a value that is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
            ) from error
    if not fernets:
        raise ImproperlyConfigured("CRM_MAIL_KEYS is empty: mailbox secrets cannot be stored.")
    return MultiFernet(fernets)


@cache
def _fernet_for(keys):
    return _parse_keys(keys)


def fernet():
    return _fernet_for(tuple(settings.CRM_MAIL_KEYS))


def seal(plaintext):
    """The stored form of a secret (text, safe for a TextField)."""
    if not plaintext:
        return ""
    return fernet().encrypt(plaintext.encode()).decode()


def reveal(token):
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("the stored secret cannot be decrypted with the configured CRM_MAIL_KEYS") from error


def rotated(token):
    """The same secret encrypted with the first key (MultiFernet.rotate)."""
    if not token:
        return token
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("the stored secret cannot be decrypted with the configured CRM_MAIL_KEYS") from error
