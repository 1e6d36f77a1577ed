"""How a message's people read on a page: "Petra Kundin", or the address when there is no name."""

from django import template

register = template.Library()


def _label(participant):
    return participant.name or participant.address


@register.filter
def mail_sender(message):
    """The sender of a message whose participants are prefetched (no query)."""
    for participant in message.participants.all():
        if participant.role == "from":
            return _label(participant)
    return message.from_name or message.from_address


@register.filter
def mail_recipients(message):
    """To, cc and bcc of a message whose participants are prefetched, comma-separated (no query)."""
    return ", ".join(_label(p) for p in message.participants.all() if p.role != "from")
