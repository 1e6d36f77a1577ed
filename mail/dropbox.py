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
    return _split(getattr(settings, "CRM_MAIL_DROPBOX_ADDRESS", ""))


def address_for(mailbox):
    """The user's BCC / forwarding address, or "" when the installation has no dropbox address."""
    base = _base()
    if base is None or not mailbox.dropbox_token:
        return ""
    local, domain = base
    return f"{local}+{mailbox.dropbox_token}@{domain}"


def token_from_address(address, *, also=""):
    """The dropbox token in `address` (a bare address or "Name <address>"), or None when the
    address is not the dropbox's with a token. `also` is a further base address that counts as
    the dropbox's (the dropbox mailbox's own address, when it differs from the setting). Local
    part and domain compare case-insensitively (providers lower-case addresses on the way); the
    token is returned lower case."""
    if not address:
        return None
    _name, bare = parseaddr(address)
    local, at, domain = bare.strip().rpartition("@")
    name, plus, token = local.partition("+")
    if not at or not plus or not token:
        return None
    bases = {base for base in (_base(), _split(also)) if base is not None}
    if (name.lower(), domain.lower()) not in {
        (base_local.lower(), base_domain.lower()) for base_local, base_domain in bases
    }:
        return None
    return token.lower()


def _split(address):
    local, at, domain = (address or "").strip().rpartition("@")
    if not at or not local or not domain:
        return None
    return local.split("+", 1)[0], domain
