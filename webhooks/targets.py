"""Where a webhook may be sent (SSRF): an http(s) URL whose host resolves only to public
addresses. A private, loopback, link-local, multicast, reserved or unspecified address is
refused unless an admin allowed it for the subscription (an internal system on the same
network). Checked when the subscription is saved and again before every delivery, because
a name may resolve elsewhere later."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _addresses(host, port):
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        raise ValidationError(_("The host %(host)s cannot be found.") % {"host": host}) from None
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def is_public(address):
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 6 and address.ipv4_mapped is not None and not is_public(address.ipv4_mapped))
    )


def check_target(url, *, allow_private=False):
    """The URL's resolved addresses, or ValidationError saying why the URL is refused."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("Enter an http:// or https:// address."))
    if parts.username or parts.password:
        raise ValidationError(_("The address must not contain a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(_("The address has an invalid port.")) from None
    addresses = _addresses(parts.hostname, port)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise ValidationError(
            _("%(host)s is in a private or local network. Only an admin may allow such an address.")
            % {"host": parts.hostname}
        )
    return addresses
