"""Signing webhook requests (docs/api.md, "Webhooks: events and delivery").

Every request carries `Webhook-Id` (the event's id), `Webhook-Timestamp` (unix seconds) and
`Webhook-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`. `verify` is written
to be copied into a receiver as it is: it needs nothing but the standard library.
"""

import hashlib
import hmac
import time

from mail import crypto


def secret_for(subscription):
    """The subscription's signing secret in clear (stored encrypted with mail.crypto)."""
    return crypto.reveal(subscription.secret_encrypted)


def sign(secret, timestamp, body):
    """The `Webhook-Signature` value for `body` (bytes or str) sent at `timestamp` (unix seconds)."""
    if isinstance(body, str):
        body = body.encode()
    message = f"{int(timestamp)}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret, headers, body, tolerance=300, now=None):
    """True when `body` (the raw request body, bytes) was signed with `secret` within `tolerance`
    seconds of now. `headers`: any mapping of the request's headers (names case-insensitive)."""
    lowered = {str(name).lower(): value for name, value in dict(headers).items()}
    timestamp = lowered.get("webhook-timestamp", "")
    signature = lowered.get("webhook-signature", "")
    try:
        timestamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    if isinstance(body, str):
        body = body.encode()
    message = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    # Several signatures (a secret being rotated) may be sent, separated by spaces.
    return any(part.startswith("v1=") and hmac.compare_digest(part[3:], expected) for part in str(signature).split())
