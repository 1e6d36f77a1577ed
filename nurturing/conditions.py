"""When an enrolment must end early, what a branch sees, and replies to marketing e-mail
(docs/nurturing.md, "Leaving a sequence").

`exit_reasons(enrolments)` checks a whole batch with a fixed number of queries (one per kind of
fact), so the engine checks every claimed enrolment before running its step and the send gate
checks one again right before its e-mail goes out. The reasons, first match wins:

- replied: an inbound e-mail from the person's address after enrolment (or a reply marked on
  one of the enrolment's sends, which also counts replies in the thread from another address);
- meeting: an activity of kind meeting on their deal or lead created after enrolment;
- converted: the lead was converted;
- deal_won / deal_lost: a deal of the person (their contact's deals, the lead's deal) won or
  lost after enrolment;
- unsubscribed / hard_bounce / suppressed: the address is on the suppression list (a hard
  bounce of the address counts even before it is listed);
- withdrawn / no_consent / no_address: the record no longer allows marketing e-mail;
- deleted: the contact was moved to the trash.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from activities.models import Activity
from activities.models import Kind as ActivityKind
from customers.models import MARKETING_ALLOWED, Consent
from deals.models import Deal
from leads.models import Lead
from mail.models import Bounce, EmailMessage, Participant
from nurturing.models import Enrolment, Send, Suppression
from quotes.models import QuoteEvent

SUPPRESSION_REASONS = {
    Suppression.Reason.UNSUBSCRIBED: "unsubscribed",
    Suppression.Reason.HARD_BOUNCE: "hard_bounce",
}


def address_of(enrolment):
    record = enrolment.contact if enrolment.contact_id else enrolment.lead
    return (record.email or "").strip().lower()


def _after(times, at):
    return any(value is not None and value > at for value in times)


def exit_reasons(enrolments):
    """{enrolment id: (reason, detail)} for the enrolments that must end (or, completed, whose
    last e-mail must not go out any more); the enrolments need their contact and lead loaded."""
    enrolments = [e for e in enrolments if e.status != Enrolment.Status.EXITED]
    if not enrolments:
        return {}
    since = min(e.enrolled_at for e in enrolments)
    ids = [e.pk for e in enrolments]
    contact_ids = {e.contact_id for e in enrolments if e.contact_id}
    lead_ids = {e.lead_id for e in enrolments if e.lead_id}
    addresses = {address_of(e) for e in enrolments} - {""}

    replies = {}
    for address, at in Participant.objects.filter(
        role=Participant.Role.FROM,
        address__in=addresses,
        message__direction=EmailMessage.Direction.INBOUND,
        message__sent_at__gt=since,
    ).values_list("address", "message__sent_at"):
        replies.setdefault(address, []).append(at)
    marked = set(
        Send.objects.filter(enrolment_id__in=ids, replied_at__isnull=False).values_list("enrolment_id", flat=True)
    )

    person = Q(deal__contact_id__in=contact_ids) | Q(lead_id__in=lead_ids) | Q(deal__source_lead_id__in=lead_ids)
    meetings = {}
    for contact_id, lead_id, source_lead_id, at in Activity.objects.filter(
        person, kind=ActivityKind.MEETING, created_at__gt=since
    ).values_list("deal__contact_id", "lead_id", "deal__source_lead_id", "created_at"):
        for key in (("contact", contact_id), ("lead", lead_id), ("lead", source_lead_id)):
            if key[1] is not None:
                meetings.setdefault(key, []).append(at)

    deals = {}
    for contact_id, lead_id, won_at, lost_at in Deal.objects.filter(
        Q(contact_id__in=contact_ids) | Q(source_lead_id__in=lead_ids), Q(won_at__gt=since) | Q(lost_at__gt=since)
    ).values_list("contact_id", "source_lead_id", "won_at", "lost_at"):
        for key in (("contact", contact_id), ("lead", lead_id)):
            if key[1] is not None:
                deals.setdefault(key, []).append((won_at, lost_at))

    suppressed = dict(Suppression.objects.filter(address__in=addresses).values_list("address", "reason"))
    bounced = set(Bounce.objects.filter(address__in=addresses, permanent=True).values_list("address", flat=True))

    found = {}
    for enrolment in enrolments:
        reason = _reason(enrolment, replies, marked, meetings, deals, suppressed, bounced)
        if reason:
            found[enrolment.pk] = reason
    return found


def _reason(enrolment, replies, marked, meetings, deals, suppressed, bounced):
    at = enrolment.enrolled_at
    key = ("contact", enrolment.contact_id) if enrolment.contact_id else ("lead", enrolment.lead_id)
    record = enrolment.contact if enrolment.contact_id else enrolment.lead
    address = address_of(enrolment)
    if enrolment.pk in marked or _after(replies.get(address, ()), at):
        return ("replied", "")
    if _after(meetings.get(key, ()), at):
        return ("meeting", "")
    if enrolment.lead_id and (record.status == Lead.Status.CONVERTED or record.converted_at is not None):
        return ("converted", "")
    for won_at, lost_at in deals.get(key, ()):
        if won_at is not None and won_at > at:
            return ("deal_won", "")
        if lost_at is not None and lost_at > at:
            return ("deal_lost", "")
    if enrolment.contact_id and record.deleted_at is not None:
        return ("deleted", "")
    if not address:
        return ("no_address", "")
    if address in suppressed:
        return (SUPPRESSION_REASONS.get(suppressed[address], "suppressed"), "")
    if address in bounced:
        return ("hard_bounce", "")
    if record.email_consent == Consent.WITHDRAWN:
        return ("withdrawn", "")
    if record.email_consent not in MARKETING_ALLOWED:
        return ("no_consent", "")
    return None


# --- branches ----------------------------------------------------------------------------------


def person_deals(enrolment):
    if enrolment.contact_id:
        return Deal.objects.filter(contact_id=enrolment.contact_id)
    return Deal.objects.filter(source_lead_id=enrolment.lead_id)


def branch_holds(enrolment, condition):
    """Whether a branch's condition holds for this enrolment (over its own sends)."""
    sends = Send.objects.filter(enrolment=enrolment)
    if condition == "opened":
        return sends.filter(opened_at__isnull=False).exists()
    if condition == "clicked":
        return sends.filter(clicked_at__isnull=False).exists()
    if condition == "replied":
        return sends.filter(replied_at__isnull=False).exists()
    if condition == "quote_viewed":
        return QuoteEvent.objects.filter(
            kind=QuoteEvent.Kind.VIEWED, at__gt=enrolment.enrolled_at, deal__in=person_deals(enrolment)
        ).exists()
    return False


# --- replies -----------------------------------------------------------------------------------


REPLY_DATE_SLACK = timedelta(minutes=1)


def mark_replies(*, now=None, window=timedelta(days=2)):
    """Set `Send.replied_at` for sends answered by an inbound e-mail stored in the last `window`
    (from the send's address, or in the send's thread), and end their enrolments ("replied").
    Returns the sends marked. Safe to run again: only sends without a reply are looked at."""
    from nurturing.enrolment import exit_enrolment

    now = now or timezone.now()
    inbound = EmailMessage.objects.filter(direction=EmailMessage.Direction.INBOUND, created_at__gte=now - window)
    by_address, by_thread = {}, {}
    for address, thread_id, at in Participant.objects.filter(
        role=Participant.Role.FROM, message__in=inbound
    ).values_list("address", "message__thread_id", "message__sent_at"):
        by_address.setdefault(address, []).append(at)
        if thread_id:
            by_thread.setdefault(thread_id, []).append(at)
    if not by_address:
        return 0
    waiting = Send.objects.filter(replied_at__isnull=True, message__isnull=False).filter(
        Q(address__in=list(by_address)) | Q(message__thread_id__in=list(by_thread))
    )
    marked = 0
    for send in waiting.select_related("enrolment", "message"):
        # A message in the send's thread answers it whatever its date says; one that is only from
        # the same address must be dated after the send, give or take REPLY_DATE_SLACK: dates
        # have whole seconds and come from the sender's clock.
        earliest = send.created_at - REPLY_DATE_SLACK
        answers = sorted(
            [
                *by_thread.get(send.message.thread_id, ()),
                *(at for at in by_address.get(send.address, ()) if at > earliest),
            ]
        )
        if not answers:
            continue
        replied_at = max(answers[0], send.created_at)
        marked += Send.objects.filter(pk=send.pk, replied_at__isnull=True).update(replied_at=replied_at)
        if send.enrolment is not None and send.enrolment.status == Enrolment.Status.ACTIVE:
            exit_enrolment(enrolment=send.enrolment, reason="replied")
    return marked
