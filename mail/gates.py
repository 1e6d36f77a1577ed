"""Send gates and delivery listeners: how an app above mail holds back or follows the e-mails
that mail delivers, without mail importing it (the registry pattern of activities/triggers.py).

A gate is a function `gate(message) -> str`, asked by `mail.sending.deliver()` for every
message with purpose "marketing", after the delivery claim and right before talking to SMTP.
It returns "" to let the message go, or a short reason: the first reason withholds the message
(delivery `withheld`, `delivery_error` = the reason) and nothing is sent. Personal and
transactional e-mail (quotes, replies, opt-in confirmations) is never gated.

A delivery listener is a function `listener(message, state, detail)` called after deliver()
stored a final state of a marketing message: sent, failed (no retry left) or withheld. A
listener that raises is logged; the delivery stays as stored.
"""

import logging

logger = logging.getLogger(__name__)

_gates = []
_listeners = []


def register_gate(gate):
    """Ask `gate(message)` before each marketing e-mail is sent (idempotent)."""
    if gate not in _gates:
        _gates.append(gate)
    return gate


def unregister_gate(gate):
    if gate in _gates:
        _gates.remove(gate)


def register_delivery_listener(listener):
    """Tell `listener(message, state, detail)` the final delivery state of marketing e-mails."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister_delivery_listener(listener):
    if listener in _listeners:
        _listeners.remove(listener)


def refusal(message):
    """The first gate's reason to withhold `message`, or "" (always "" for personal e-mail)."""
    if message.purpose != message.Purpose.MARKETING:
        return ""
    for gate in list(_gates):
        reason = gate(message)
        if reason:
            return str(reason)[:500]
    return ""


def delivered(message, state, detail=""):
    """Tell the listeners that a marketing message reached a final state."""
    if message.purpose != message.Purpose.MARKETING:
        return
    for listener in list(_listeners):
        try:
            listener(message, state, detail)
        except Exception:  # a listener's bug must not turn a sent e-mail into a failed one
            logger.exception("Delivery listener %r failed for e-mail %s", listener, message.pk)
