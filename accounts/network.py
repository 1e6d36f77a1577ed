"""The client IP of a request: one rule for every limit the product enforces.

Login throttling (django-axes, through AXES_CLIENT_IP_CALLABLE), the public web form's rate
limit and the password-reset limit all call `client_ip`. By default it is the socket's peer,
REMOTE_ADDR: a header such as X-Forwarded-For is written by the client and proves nothing.

Behind proxies of our own, CRM_TRUSTED_PROXY_HOPS says how many there are. Each appends the
address it received the request from to CRM_CLIENT_IP_HEADER, so the client is the header's
N-th entry counted from the right; whatever the client put further left is ignored. The
header is parsed by django-ipware (IPv6, ports, RFC 7239 `for=`); with fewer entries than
hops, or no usable one, the answer falls back to REMOTE_ADDR (the nearest proxy), never to
an entry the client could have chosen.
"""

from django.conf import settings
from ipware import get_client_ip


def meta_key(header):
    """The request.META key of a header name: "X-Forwarded-For" → "HTTP_X_FORWARDED_FOR"."""
    key = header.strip().upper().replace("-", "_")
    return key if key.startswith("HTTP_") else f"HTTP_{key}"


def client_ip(request):
    """The client's IP address as a string, or None when the request has none (no socket peer)."""
    remote_addr = request.META.get("REMOTE_ADDR") or None
    hops = settings.CRM_TRUSTED_PROXY_HOPS
    if not hops:
        return remote_addr
    ip, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        # ipware counts the proxies listed in the header; the nearest one is only REMOTE_ADDR.
        proxy_count=hops - 1,
        request_header_order=[meta_key(settings.CRM_CLIENT_IP_HEADER)],
        # Strict parsing would drop the whole header for one junk entry a client put on the
        # left, and every such client would share the proxy's address.
        strict=False,
    )
    return ip or remote_addr
