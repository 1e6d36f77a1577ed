"""Linking a stored message to contacts, organizations, its thread, and a deal or lead
(docs/email.md, "Linking and threads").

Called for every message that is stored (synced, dropped into the BCC dropbox or written in the
CRM); it is idempotent: a second call for the same message changes nothing. The rules:

- Addresses → contacts: the contact's main e-mail or one of its further e-mail addresses, case
  ignored, contacts in the trash ignored. The owner's own addresses, every user's address, every
  mailbox's address and the dropbox address are not customers.
- Thread: a message joins the thread of any of the owner's messages it names (Message-ID in
  In-Reply-To or References) or that name it (a reply stored before its original); a message
  that joins two threads merges them (the older thread survives and keeps a deal choice made in
  either).
- Deal: the message's own deal (written on a deal page), else the thread's remembered deal, else
  the lead it was written on (a lead page), else the open deals the owner may see of the linked
  contacts, or when they have none, of the contacts' organizations: exactly one → linked (and remembered for the thread); several → the
  thread waits for the owner's choice; none → the one open lead with that e-mail, if exactly one.
- `shared` follows mail.sharing.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import User
from customers.models import Contact, ContactChannel
from deals.models import Deal
from leads import selectors as lead_selectors
from leads.models import Lead
from mail import dropbox, sharing
from mail.models import EmailMessage, Mailbox, Participant, Thread

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# "Re:", "AW:", "Fwd:", "WG:" … (English, German, Nordic), repeated, with "[2]" counters.
REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|antw|fw|fwd|wg|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
MAX_CANDIDATES = 20
REPLY_CLOCK_SLACK = timedelta(days=1)


def message_ids(text):
    """The Message-IDs written in a header value (In-Reply-To, References), in order."""
    return MESSAGE_ID.findall(text or "")


def thread_subject(subject):
    """The subject without reply and forward prefixes: "AW: Re: Angebot" → "Angebot"."""
    return REPLY_PREFIX.sub("", subject or "").strip()[:500]


def internal_addresses(addresses):
    """Those of `addresses` (lower case) that belong to the installation: users, mailboxes and
    the dropbox. Two queries."""
    addresses = set(addresses)
    if not addresses:
        return set()
    users = User.objects.annotate(key=Lower("email")).filter(key__in=addresses).values_list("key", flat=True)
    mailboxes = (
        Mailbox.objects.annotate(key=Lower("email_address")).filter(key__in=addresses).values_list("key", flat=True)
    )
    dropbox_base = (settings.CRM_MAIL_DROPBOX_ADDRESS or "").lower()
    dropbox_addresses = {a for a in addresses if a == dropbox_base or dropbox.token_from_address(a)}
    return set(users) | set(mailboxes) | dropbox_addresses


def contacts_by_address(addresses, *, owner_id=None):
    """{address: (contact id, organization id)} for the addresses that belong to a contact not in
    the trash. Two queries (main addresses, further addresses; both read an index on the lower
    case value). An address of several contacts goes to the one with it as main address, then
    the owner's, then the oldest."""
    addresses = set(addresses)
    if not addresses:
        return {}
    found = []
    main = Contact.objects.annotate(key=Lower("email")).filter(key__in=addresses)
    for key, pk, organization_id, contact_owner in main.values_list("key", "pk", "organization_id", "owner_id"):
        found.append((key, 0, contact_owner != owner_id, pk, organization_id))
    further = ContactChannel.objects.filter(kind=ContactChannel.Kind.EMAIL, contact__deleted_at__isnull=True).annotate(
        key=Lower("value")
    )
    rows = further.filter(key__in=addresses).values_list(
        "key", "contact_id", "contact__organization_id", "contact__owner_id"
    )
    for key, pk, organization_id, contact_owner in rows:
        found.append((key, 1, contact_owner != owner_id, pk, organization_id))
    result = {}
    for key, *_rank, pk, organization_id in sorted(found):
        result.setdefault(key, (pk, organization_id))
    return result


def deal_candidates(*, owner, contact_ids, organization_ids):
    """The open deals the owner may see of these contacts, or when they have none, of these
    organizations; newest first, at most MAX_CANDIDATES. One or two queries."""
    open_deals = (
        Deal.objects.filter(scoping.visible_owner_q(owner), status=Deal.Status.OPEN)
        .select_related("organization", "contact", "stage", "owner")
        .order_by("-created_at", "-pk")
    )
    if contact_ids:
        deals = list(open_deals.filter(contact_id__in=contact_ids)[:MAX_CANDIDATES])
        if deals:
            return deals
    if organization_ids:
        return list(open_deals.filter(organization_id__in=organization_ids)[:MAX_CANDIDATES])
    return []


def lead_candidates(*, owner, addresses):
    """The leads the owner may see with one of these e-mail addresses, not converted (at most two:
    one is the answer, two are ambiguous)."""
    if not addresses:
        return []
    leads = Lead.objects.filter(lead_selectors.lead_scope_q(owner), email_key__in=[a.casefold() for a in addresses])
    return list(leads.exclude(status=Lead.Status.CONVERTED).order_by("pk")[:2])


def _link_participants(message, participants):
    """Set each participant's contact and organization; returns the customers' contact and
    organization ids and the external addresses."""
    owner = message.owner
    addresses = {p.address for p in participants}
    internal = internal_addresses(addresses) | {a.lower() for a in (owner.email,) if a}
    external = addresses - internal
    contacts = contacts_by_address(external, owner_id=owner.pk)
    changed = []
    for participant in participants:
        contact_id, organization_id = contacts.get(participant.address, (None, None))
        if (participant.contact_id, participant.organization_id) != (contact_id, organization_id):
            participant.contact_id, participant.organization_id = contact_id, organization_id
            changed.append(participant)
    if changed:
        Participant.objects.bulk_update(changed, ["contact", "organization"])
    contact_ids = {pk for pk, _org in contacts.values()}
    organization_ids = {org for _pk, org in contacts.values() if org}
    return contact_ids, organization_ids, external


def _threads_named(message):
    """The ids of the owner's threads this message belongs to by its headers (both directions)."""
    named = set(message_ids(message.references)) | set(message_ids(message.in_reply_to))
    named.discard(message.message_id)
    mine = EmailMessage.objects.filter(owner_id=message.owner_id, thread__isnull=False).exclude(pk=message.pk)
    found = set()
    if named:
        found |= set(mine.filter(message_id__in=named).values_list("thread_id", flat=True))
    # A reply stored before its original (the inbox synced before the sent folder). Replies are
    # written after their original: the (owner, sent_at) index bounds the search (a day's slack
    # for wrong clocks) instead of a scan of all of the owner's messages.
    later = mine.filter(sent_at__gte=message.sent_at - REPLY_CLOCK_SLACK)
    replies = later.filter(Q(in_reply_to=message.message_id) | Q(references__contains=message.message_id))
    found |= set(replies.values_list("thread_id", flat=True))
    if message.thread_id:
        found.add(message.thread_id)
    return found


def _merge_threads(threads):
    """One thread from several: the oldest survives, gets the others' messages and a deal chosen
    in any of them (a picked one first)."""
    survivor, *others = sorted(threads, key=lambda t: t.pk)
    if not others:
        return survivor
    if survivor.deal_id is None:
        with_deal = sorted((t for t in others if t.deal_id), key=lambda t: (t.deal_picked_by_id is None, t.pk))
        if with_deal:
            survivor.deal_id, survivor.deal_picked_by_id = with_deal[0].deal_id, with_deal[0].deal_picked_by_id
    survivor.needs_deal_choice = survivor.deal_id is None and any(t.needs_deal_choice for t in threads)
    times = [t.last_message_at for t in threads if t.last_message_at]
    survivor.last_message_at = max(times) if times else None
    EmailMessage.objects.filter(thread__in=[t.pk for t in others]).update(thread=survivor)
    Thread.objects.filter(pk__in=[t.pk for t in others]).delete()
    return survivor


def _thread_for(message):
    thread_ids = _threads_named(message)
    threads = list(Thread.objects.select_for_update().filter(pk__in=thread_ids).order_by("pk"))
    if not threads:
        return Thread.objects.create(
            owner_id=message.owner_id, subject=thread_subject(message.subject), last_message_at=message.sent_at
        )
    thread = _merge_threads(threads)
    if not thread.subject:
        thread.subject = thread_subject(message.subject)
    if thread.last_message_at is None or message.sent_at > thread.last_message_at:
        thread.last_message_at = message.sent_at
    return thread


def _link_record(message, thread, *, contact_ids, organization_ids, external):
    """The deal (or lead) of the message, and what the thread remembers."""
    if message.deal_id:
        if thread.deal_id is None:  # written on a deal page: the conversation belongs to it
            thread.deal_id, thread.needs_deal_choice = message.deal_id, False
            EmailMessage.objects.filter(thread=thread, deal__isnull=True).exclude(pk=message.pk).update(
                deal_id=message.deal_id
            )
        return
    if thread.deal_id:
        message.deal_id = thread.deal_id
        return
    if message.lead_id and message.source == EmailMessage.Source.CRM:
        return  # written on a lead page: the lead is the user's choice
    deals = deal_candidates(owner=message.owner, contact_ids=contact_ids, organization_ids=organization_ids)
    if len(deals) == 1:
        message.deal_id = thread.deal_id = deals[0].pk
        thread.needs_deal_choice = False
        return
    if len(deals) > 1:
        thread.needs_deal_choice = True
        return
    if message.lead_id is None:
        leads = lead_candidates(owner=message.owner, addresses=external)
        if len(leads) == 1:
            message.lead_id = leads[0].pk


def link_message(message):
    """Link `message` (an EmailMessage with its Participant rows saved): participants to
    contacts, the message to its thread and to a deal or lead, and its `shared` flag. Returns
    the message. One transaction; about a dozen queries whatever the owner's number of messages
    (the reverse thread lookup reads the owner's messages by an index on the owner)."""
    with transaction.atomic():
        message = EmailMessage.objects.select_for_update(of=("self",)).select_related("owner").get(pk=message.pk)
        participants = list(message.participants.all())
        contact_ids, organization_ids, external = _link_participants(message, participants)
        thread = _thread_for(message)
        message.thread = thread
        _link_record(message, thread, contact_ids=contact_ids, organization_ids=organization_ids, external=external)
        thread.save()
        message.shared = sharing.is_shared(
            shares_linked=sharing.owner_shares_linked(message.owner), deal_id=message.deal_id, lead_id=message.lead_id
        )
        message.save(update_fields=["thread", "deal", "lead", "shared"])
    return message


def thread_deal_candidates(thread):
    """The deals the owner may pick for a thread: the candidates of all its messages' contacts."""
    rows = Participant.objects.filter(message__thread=thread, contact__isnull=False).values_list(
        "contact_id", "organization_id"
    )
    contact_ids = {c for c, _o in rows}
    organization_ids = {o for _c, o in rows if o}
    return deal_candidates(owner=thread.owner, contact_ids=contact_ids, organization_ids=organization_ids)


@transaction.atomic
def thread_pick_deal(*, thread_id, deal_id, actor):
    """The owner picks the deal of a thread: every message of it without a deal gets it, and so
    will later ones. Only the owner may pick (nobody else sees the unlinked messages); the deal
    must be one of the thread's candidates."""
    thread = Thread.objects.select_for_update().select_related("owner").get(pk=thread_id)
    if thread.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner of these e-mails may pick their deal."))
    if deal_id not in {deal.pk for deal in thread_deal_candidates(thread)}:
        raise ValidationError(_("Pick one of the deals offered."))
    thread.deal_id, thread.deal_picked_by, thread.needs_deal_choice = deal_id, actor, False
    thread.save(update_fields=["deal", "deal_picked_by", "needs_deal_choice"])
    shares = sharing.owner_shares_linked(thread.owner)
    EmailMessage.objects.filter(thread=thread, deal__isnull=True).update(deal_id=deal_id)
    EmailMessage.objects.filter(thread=thread).update(shared=sharing.shared_expression(shares))
    return thread
