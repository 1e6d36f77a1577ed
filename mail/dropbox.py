"""The BCC / forwarding address of each user: `<local>+<token>@<domain>`, built from the shared
dropbox address in settings.CRM_MAIL_DROPBOX_ADDRESS and the mailbox's `dropbox_token`.

Mail sent (or forwarded) to it from any client arrives in the shared dropbox mailbox; the sync
reads the token back from the recipients with `token_from_address` and files the message for
the user whose token it is. A new token (`mailbox_new_dropbox_address`) makes the old address
link nothing.
"""

from email.utils import parseaddr

from django.conf import settings


def _base():
    """(local part, domain) of the configured dropbox address, or None when none is set."""
    address = (getattr(settings, "CRM_MAIL_DROPBOX_ADDRESS", "") or "").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    return local.split("+", 1)[0], domain


def address_for(mailbox):
    """The user's BCC / forwarding address, or "" when the installation has no dropbox address."""
    base = _base()
    if base is None or not mailbox.dropbox_token:
        return ""
    local, domain = base
    return f"{local}+{mailbox.dropbox_token}@{domain}"


def token_from_address(address):
    """The dropbox token in `address` (a bare address or "Name <address>"), or None when the
    address is not the dropbox's with a token. Local part and domain compare case-insensitively
    (providers lower-case addresses on the way); the token is returned lower case."""
    base = _base()
    if base is None or not address:
        return None
    _name, bare = parseaddr(address)
    local, at, domain = bare.strip().rpartition("@")
    if not at or domain.lower() != base[1].lower():
        return None
    name, plus, token = local.partition("+")
    if not plus or name.lower() != base[0].lower() or not token:
        return None
    return token.lower()
