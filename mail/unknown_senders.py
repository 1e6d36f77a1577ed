"""An address of a message that belongs to nobody yet, turned into a contact or a lead in one
click (docs/email.md, "Linking and threads"). The record is made by the customers' and the
leads' own services, prefilled from the message (the name as written, the address, the
organization whose e-mail domain is the address's); the user's messages with that address are
linked again so that they find it."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers import services as customer_services
from customers.models import Organization
from deals import selectors as deal_selectors
from leads import services as lead_services
from leads.models import Lead
from mail import linking
from mail.models import EmailMessage, Participant

# The user's messages with the address that are linked again at once (the newest; older ones
# follow when they are linked again for another reason).
RELINK_LIMIT = 200


def unknown_participants(message):
    """The participants of a message (prefetched) without a contact that are not the
    installation's own addresses, one per address. One query for the internal addresses."""
    rows = [p for p in message.participants.all() if p.contact_id is None]
    internal = linking.internal_addresses({p.address for p in rows})
    internal |= {(message.owner.email or "").lower()}
    unknown = {}
    for participant in rows:
        if participant.address not in internal and "@" in participant.address:
            unknown.setdefault(participant.address, participant)
    return list(unknown.values())


def split_name(name, address):
    """(first name, last name) from a display name ("Kundin, Petra" or "Petra Kundin"), or the
    address's local part as the last name when there is no name."""
    name = " ".join((name or "").replace('"', "").split())
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first[:100], last[:100]
    if name and "@" not in name:
        *first, last = name.split(" ")
        return " ".join(first)[:100], last[:100]
    return "", address.split("@", 1)[0][:100]


def organization_for_address(*, user, address):
    """The one organization the user sees whose e-mail domain is the address's, or None."""
    domain = address.rsplit("@", 1)[-1].lower()
    found = list(
        Organization.objects.filter(deal_selectors.organization_visible_q(user), email_domain__iexact=domain)[:2]
    )
    return found[0] if len(found) == 1 else None


def _participant(message, address):
    address = (address or "").strip().lower()
    for participant in unknown_participants(message):
        if participant.address == address:
            return participant
    raise ValidationError(_("This address is not one of the e-mail's unknown addresses."))


def _relink(message, *, actor, address):
    """The message and the user's newest messages with the address, linked again."""
    mine = (
        EmailMessage.objects.filter(owner=actor, pk__in=Participant.objects.filter(address=address).values("message"))
        .exclude(pk=message.pk)
        .order_by("-sent_at")
        .values_list("pk", flat=True)[:RELINK_LIMIT]
    )
    for pk in [message.pk, *mine]:
        linking.link_message(EmailMessage(pk=pk))


def contact_from_address(*, message, address, actor):
    """A contact for an unknown address of `message` (which `actor` may read)."""
    participant = _participant(message, address)
    first_name, last_name = split_name(participant.name, participant.address)
    contact = customer_services.contact_create(
        actor=actor,
        first_name=first_name,
        last_name=last_name,
        email=participant.address,
        organization=organization_for_address(user=actor, address=participant.address),
    )
    _relink(message, actor=actor, address=participant.address)
    return contact


def lead_from_address(*, message, address, actor):
    """A lead owned by `actor` for an unknown address of `message`."""
    participant = _participant(message, address)
    first_name, last_name = split_name(participant.name, participant.address)
    organization = organization_for_address(user=actor, address=participant.address)
    lead = lead_services.lead_create(
        actor=actor,
        owner=actor,
        first_name=first_name,
        last_name=last_name,
        email=participant.address,
        company_name=organization.name if organization else "",
        organization=organization,
        source=Lead.Source.OTHER,
        campaign=_("E-mail"),
    )
    _relink(message, actor=actor, address=participant.address)
    return lead
