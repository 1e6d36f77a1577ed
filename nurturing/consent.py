"""Who may get marketing e-mail, and the suppression list (docs/nurturing.md, "Consent" and
"Suppression list").

`marketing_refusal` is the one check: the engine calls it when it enrols and runs a step, and
the mail app's send gate calls it right before a marketing e-mail goes to the mail server, so
an unsubscribe is honoured for the next e-mail at once. `suppress` writes the address to the
list and withdraws the consent of everyone with it; `unsuppress` lifts an unsubscribe, and only
a confirmed double opt-in calls it (nurturing.optin).
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from customers import services as customer_services
from customers.models import MARKETING_ALLOWED, Consent, ConsentChange, Contact, ContactChannel
from leads import services as lead_services
from leads.models import Lead, LeadConsentChange
from nurturing.models import Enrolment, EnrolmentEvent, Send, Suppression

# Reasons `marketing_refusal` answers with ("" when the e-mail may go).
NO_ADDRESS = "no_address"
SUPPRESSED = "suppressed"
WITHDRAWN = "withdrawn"
NO_CONSENT = "no_consent"

# The enrolment's exit reason for each suppression reason.
EXIT_REASONS = {
    Suppression.Reason.UNSUBSCRIBED: "unsubscribed",
    Suppression.Reason.HARD_BOUNCE: "hard_bounce",
    Suppression.Reason.COMPLAINT: "complaint",
    Suppression.Reason.MANUAL: "suppressed",
}


def normalise(address):
    return (address or "").strip().lower()


def is_suppressed(address):
    return Suppression.objects.filter(address=normalise(address)).exists()


def marketing_refusal(*, address, contact=None, lead=None):
    """ "" when marketing e-mail may go to `address` (of `contact` or `lead`), else the reason:
    "no_address", "suppressed" (the address is on the list, whatever the record says),
    "withdrawn", or "no_consent" (neither granted nor the existing-customer basis, or no record).

    The record's consent is read from the database, not from the object passed in, because the
    send gate runs long after the record was loaded: one query with a record, one without.
    """
    address = normalise(address)
    if not address:
        return NO_ADDRESS
    record = contact if contact is not None else lead
    if record is None:
        return SUPPRESSED if is_suppressed(address) else NO_CONSENT
    found = (
        type(record)
        ._base_manager.filter(pk=record.pk)
        .annotate(suppressed=Exists(Suppression.objects.filter(address=address)))
        .values_list("email_consent", "suppressed")
        .first()
    )
    if found is None:
        return SUPPRESSED if is_suppressed(address) else NO_CONSENT
    state, suppressed = found
    if suppressed:
        return SUPPRESSED
    if state == Consent.WITHDRAWN:
        return WITHDRAWN
    if state not in MARKETING_ALLOWED:
        return NO_CONSENT
    return ""


def people_with_address(address):
    """(contacts, leads) with `address`, compared lower-cased: a contact's main address or a
    further one (ContactChannel), a lead's address. Trashed contacts are left out."""
    address = normalise(address)
    further = ContactChannel.objects.filter(
        contact=OuterRef("pk"), kind=ContactChannel.Kind.EMAIL, value__iexact=address
    )
    contacts = list(Contact.objects.filter(Q(email__iexact=address) | Q(Exists(further))).order_by("pk"))
    leads = list(Lead.objects.filter(email__iexact=address).order_by("pk"))
    return contacts, leads


def _proof(*, address, reason, source, send, at):
    when = formats.date_format(timezone.localtime(at), "Y-m-d H:i:s O")
    if reason == Suppression.Reason.UNSUBSCRIBED and send is not None:
        sent = send.sent_at or send.created_at
        return _(
            "Unsubscribed at %(at)s from %(address)s (%(source)s), with the link of the marketing e-mail of %(sent)s."
        ) % {"at": when, "address": address, "source": source, "sent": formats.date_format(sent, "Y-m-d H:i O")}
    return _("%(reason)s at %(at)s: %(address)s (%(source)s).") % {
        "reason": Suppression.Reason(reason).label,
        "at": when,
        "address": address,
        "source": source,
    }


@transaction.atomic
def suppress(*, address, reason, source, send=None, at=None):
    """Put `address` on the suppression list and act on it; safe to call again (a second call
    changes nothing and writes no second history row). Returns the Suppression, or None for an
    empty address.

    - the list keeps the first reason and time (an unsubscribe stays one after a later bounce);
    - every contact and lead with the address gets "withdrawn" with a history row (source and
      proof), unless it is withdrawn already;
    - their active enrolments end (exited, reason "unsubscribed", "hard_bounce", …) with an
      EnrolmentEvent each;
    - `send` (the e-mail whose link was used) gets its `unsubscribed_at`.
    """
    address = normalise(address)
    if not address:
        return None
    at = at or timezone.now()
    reason = Suppression.Reason(reason)
    source = (source or "").strip()[:200] or reason.label
    suppression, _created = Suppression.objects.get_or_create(
        address=address, defaults={"reason": reason, "source": source, "at": at}
    )
    contacts, leads = people_with_address(address)
    proof = _proof(address=address, reason=reason, source=source, send=send, at=at)
    history_source = _("%(reason)s: %(source)s") % {"reason": reason.label, "source": source}
    for contact in contacts:
        if contact.email_consent != Consent.WITHDRAWN:
            customer_services.contact_consent_set(
                actor=None, contact=contact, status=Consent.WITHDRAWN, source=history_source, proof=proof, at=at
            )
    for lead in leads:
        if lead.email_consent != Consent.WITHDRAWN:
            lead_services.lead_consent_set(
                actor=None, lead=lead, status=Consent.WITHDRAWN, source=history_source, proof=proof, at=at
            )
    _end_enrolments(contacts=contacts, leads=leads, reason=EXIT_REASONS[reason], detail=address, at=at)
    if send is not None:
        Send.objects.filter(pk=send.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=at)
    return suppression


def _end_enrolments(*, contacts, leads, reason, detail, at):
    active = Enrolment.objects.select_for_update().filter(
        Q(contact__in=[c.pk for c in contacts]) | Q(lead__in=[lead.pk for lead in leads]),
        status=Enrolment.Status.ACTIVE,
    )
    ended = list(active)
    for enrolment in ended:
        enrolment.status = Enrolment.Status.EXITED
        enrolment.ended_at = at
        enrolment.exit_reason = reason
        enrolment.exit_detail = detail[:300]
        enrolment.next_position = enrolment.next_run_at = None
        enrolment.claimed_at = enrolment.claim_token = None
    Enrolment.objects.bulk_update(
        ended,
        [
            "status",
            "ended_at",
            "exit_reason",
            "exit_detail",
            "next_position",
            "next_run_at",
            "claimed_at",
            "claim_token",
        ],
    )
    EnrolmentEvent.objects.bulk_create(
        EnrolmentEvent(
            enrolment=enrolment,
            contact_id=enrolment.contact_id,
            lead_id=enrolment.lead_id,
            kind=EnrolmentEvent.Kind.EXITED,
            detail=reason,
            at=at,
        )
        for enrolment in ended
    )
    return len(ended)


@transaction.atomic
def unsuppress(*, address):
    """Lift an unsubscribe of `address` (a confirmed double opt-in: the person asked again and
    proved the address is theirs). A hard bounce, a complaint or a block by hand stays.
    True when the address is free now."""
    address = normalise(address)
    deleted, _rows = Suppression.objects.filter(address=address, reason=Suppression.Reason.UNSUBSCRIBED).delete()
    return deleted > 0 or not Suppression.objects.filter(address=address).exists()


def consent_history(*, contact=None, lead=None, limit=50):
    """The consent history rows of a record, newest first, with who recorded them."""
    if contact is not None:
        return list(ConsentChange.objects.filter(contact=contact).select_related("actor")[:limit])
    return list(LeadConsentChange.objects.filter(lead=lead).select_related("actor")[:limit])


def on_bounce(bounce):
    """The bounce listener (registered in NurturingConfig.ready): a permanent failure (5.x.x)
    puts the address on the list; a transient one (4.x.x) changes nothing."""
    if bounce.permanent:
        suppress(
            address=bounce.address,
            reason=Suppression.Reason.HARD_BOUNCE,
            source=(
                _("bounce %(status)s: %(diagnostic)s") % {"status": bounce.status, "diagnostic": bounce.diagnostic}
            )[:200],
            at=bounce.created_at,
        )
