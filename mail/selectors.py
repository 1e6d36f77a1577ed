"""Reads of e-mails, scoped to the reader (docs/email.md, "Privacy").

A user reads their own messages, and the shared messages (mail.sharing: the owner shares linked
messages and the message is linked) whose deal or lead the user may see — by the deals' and the
leads' own scope rules, as subqueries, so that every selector here is one query whatever the
number of deals. Unlinked messages are their owner's alone: not a teammate's, not a manager's,
not an admin's.
"""

from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts import scoping
from deals.models import Deal
from leads import selectors as lead_selectors
from leads.models import Lead
from mail.models import Attachment, EmailMessage, Participant, Thread


def visible_q(user):
    """The messages `user` may read, as a Q (no query of its own)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    own = Q(owner_id=user.pk)
    if scoping.is_admin(user):
        # Every deal and lead is in an admin's scope: any shared, still linked message.
        return own | Q(shared=True, deal__isnull=False) | Q(shared=True, lead__isnull=False)
    deals = Deal.objects.filter(scoping.visible_owner_q(user)).order_by().values("pk")
    leads = Lead.objects.filter(lead_selectors.lead_scope_q(user)).order_by().values("pk")
    return own | Q(shared=True, deal__in=deals) | Q(shared=True, lead__in=leads)


def _attachment_count():
    rows = Attachment.objects.filter(message=OuterRef("pk"), inline=False).order_by().values("message")
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")), 0)


def visible_messages(user):
    """The messages `user` may read, with what a list row shows (owner, deal, lead, the number
    of attachments); one query, plus one when `with_participants` is prefetched by the caller."""
    return (
        EmailMessage.objects.filter(visible_q(user))
        .select_related("owner", "deal", "lead", "thread")
        .annotate(attachment_count=_attachment_count())
        .order_by("-sent_at", "-pk")
    )


def with_participants(queryset):
    """The participants of each message in one more query (from, to, cc, bcc in that order)."""
    participants = Participant.objects.select_related("contact").order_by("pk")
    return queryset.prefetch_related(Prefetch("participants", queryset=participants))


def messages_for_deal(*, user, deal):
    return visible_messages(user).filter(deal=deal)


def messages_for_lead(*, user, lead):
    return visible_messages(user).filter(lead=lead)


def _with_participant(**where):
    return Exists(Participant.objects.filter(message=OuterRef("pk"), **where))


def messages_for_contact(*, user, contact):
    """The readable messages the contact took part in (from, to, cc)."""
    return visible_messages(user).filter(_with_participant(contact=contact))


def messages_for_organization(*, user, organization):
    """The readable messages of the organization's people, and those linked to its deals."""
    return visible_messages(user).filter(
        _with_participant(organization=organization) | Q(deal__organization=organization)
    )


def thread_messages(*, user, thread):
    """The readable messages of a thread, oldest first (a conversation reads top down)."""
    return visible_messages(user).filter(thread=thread).order_by("sent_at", "pk")


def message_get_for_user(*, user, message_id):
    """One message the user may read, with its participants and attachments, or Http404."""
    try:
        return (
            with_participants(visible_messages(user))
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
            .get(pk=message_id)
        )
    except (EmailMessage.DoesNotExist, ValueError, TypeError):
        raise Http404("No such message.") from None


def attachment_get_for_user(*, user, attachment_id):
    """An attachment of a message the user may read (and whose content was kept), or Http404."""
    try:
        return (
            Attachment.objects.filter(message__in=EmailMessage.objects.filter(visible_q(user)).values("pk"))
            .exclude(omitted=True)
            .exclude(file="")
            .get(pk=attachment_id)
        )
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None


def thread_get_for_owner(*, user, thread_id):
    """A thread of the user's own (only the owner picks a deal for it), or Http404."""
    try:
        return Thread.objects.select_related("owner", "deal").get(pk=thread_id, owner_id=user.pk)
    except (Thread.DoesNotExist, ValueError, TypeError):
        raise Http404("No such conversation.") from None


def last_contacted(queryset):
    """The time of the newest message in `queryset` (sent or received), or None. One query."""
    return queryset.order_by().aggregate(last=Max("sent_at"))["last"]


def last_contacted_for_deal(*, user, deal):
    return last_contacted(EmailMessage.objects.filter(visible_q(user), deal=deal))


def last_contacted_for_contact(*, user, contact):
    return last_contacted(EmailMessage.objects.filter(visible_q(user)).filter(_with_participant(contact=contact)))


def last_contacted_for_organization(*, user, organization):
    where = _with_participant(organization=organization) | Q(deal__organization=organization)
    return last_contacted(EmailMessage.objects.filter(visible_q(user)).filter(where))


def message_rows(queryset, *, limit):
    """A list of at most `limit` rows with their participants (two queries), newest first."""
    return list(with_participants(queryset).fetch_mode(models.FETCH_RAISE)[:limit])
