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
from customers.models import Contact, Organization
from deals import selectors as deal_selectors
from deals.models import Deal
from leads import selectors as lead_selectors
from leads.models import Lead
from mail.models import Attachment, Bounce, EmailMessage, EmailTemplate, Participant, Thread


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


# --- templates ------------------------------------------------------------------------------


def template_visible_q(user):
    """Own templates, the installation's and everyone's, and those shared with the user's team
    (or a team the user manages)."""
    teams = set(scoping.managed_team_ids(user))
    if user.team_id:
        teams.add(user.team_id)
    return (
        Q(owner=user)
        | Q(visibility=EmailTemplate.Visibility.EVERYONE)
        | Q(visibility=EmailTemplate.Visibility.TEAM, team_id__in=teams)
    )


def template_list_for_user(*, user):
    return EmailTemplate.objects.filter(template_visible_q(user)).select_related("owner", "team")


def template_get_for_user(*, user, template_id):
    try:
        return template_list_for_user(user=user).get(pk=template_id)
    except (EmailTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such template.") from None


def template_can_change(*, user, template):
    """The owner changes their template; admins every one (the installation's too)."""
    return scoping.is_admin(user) or (template.owner_id is not None and template.owner_id == user.pk)


def template_get_for_change(*, user, template_id):
    """A template the user may edit; 404 for any other (a shared one is not revealed as such)."""
    queryset = EmailTemplate.objects.all() if scoping.is_admin(user) else EmailTemplate.objects.filter(owner=user)
    try:
        return queryset.select_related("owner", "team").get(pk=template_id)
    except (EmailTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such template.") from None


def template_choices(*, user, language=""):
    """The picker's templates: the preferred language first, then by name."""
    templates = list(template_list_for_user(user=user).order_by("name", "language", "pk"))
    if language:
        templates.sort(key=lambda template: (template.language != language[:2], template.name, template.pk))
    return templates


# --- the records an e-mail is written about -------------------------------------------------


def compose_target(*, user, params):
    """The visible deal, lead, contact or organization named in `params` (the first one given),
    as {"deal", "lead", "contact", "organization"}; 404 when out of scope."""
    target = {"deal": None, "lead": None, "contact": None, "organization": None}
    if params.get("deal"):
        target["deal"] = deal = deal_selectors.deal_get_for_user(user=user, deal_id=params["deal"])
        target["contact"], target["organization"] = deal.contact, deal.organization
    elif params.get("lead"):
        target["lead"] = lead = lead_selectors.lead_get_for_user(user=user, lead_id=params["lead"])
        target["contact"], target["organization"] = lead.contact, lead.organization
    elif params.get("contact"):
        target["contact"] = contact = _get(Contact, deal_selectors.contact_visible_q(user), params["contact"])
        target["organization"] = contact.organization
    elif params.get("organization"):
        target["organization"] = _get(Organization, deal_selectors.organization_visible_q(user), params["organization"])
    return target


def _get(model, visible_q, pk):
    try:
        return model.objects.filter(visible_q).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def default_recipients(target):
    """Whom an e-mail about the record goes to: the contact, else the lead."""
    contact, lead = target["contact"], target["lead"]
    if contact is not None and contact.email:
        return f"{contact.first_name} {contact.last_name}".strip() + f" <{contact.email}>"
    if lead is not None and lead.email:
        return f"{lead.full_name} <{lead.email}>" if lead.full_name else lead.email
    return ""


def address_matches(*, user, text, limit=10):
    """Contacts the user sees, with an e-mail address, whose name or address starts a word
    with `text`: [(label, "Name <address>")]."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    found = (
        Contact.objects.filter(deal_selectors.contact_visible_q(user))
        .exclude(email="")
        .filter(Q(first_name__istartswith=text) | Q(last_name__istartswith=text) | Q(email__istartswith=text))
        .select_related("organization")
        .order_by("last_name", "first_name", "pk")[:limit]
    )
    matches = []
    for contact in found:
        name = f"{contact.first_name} {contact.last_name}".strip()
        where = f" ({contact.organization.name})" if contact.organization_id else ""
        matches.append((f"{name}{where}", f"{name} <{contact.email}>"))
    return matches


def preview_records(*, user, limit=30):
    """Recent deals, contacts and leads the user sees, for the template preview's picker."""
    deals = list(deal_selectors.deal_list_for_user(user=user).order_by("-updated_at", "-pk")[:limit])
    contacts = list(
        Contact.objects.filter(deal_selectors.contact_visible_q(user)).order_by("-updated_at", "-pk")[:limit]
    )
    leads = list(lead_selectors.lead_list_for_user(user=user).order_by("-created_at", "-pk")[:limit])
    return {"deals": deals, "contacts": contacts, "leads": leads}


# --- the outbox -------------------------------------------------------------------------------


def outbox_for_user(*, user):
    """Messages written in the CRM: the user's own; every one for an admin."""
    messages = EmailMessage.objects.filter(source=EmailMessage.Source.CRM).select_related(
        "owner", "deal", "lead", "outbox"
    )
    if not scoping.is_admin(user):
        messages = messages.filter(owner=user)
    return messages.order_by("-sent_at", "-pk")


def outbox_message_for_user(*, user, message_id):
    try:
        return outbox_for_user(user=user).get(pk=message_id)
    except (EmailMessage.DoesNotExist, ValueError, TypeError):
        raise Http404("No such message.") from None


def signature_of(user):
    """The user's e-mail signature from their profile (docs/accounts.md, "Profile"); no query."""
    return (user.email_signature or "").strip("\n")


# --- bounces ---------------------------------------------------------------------------------


def bounces_for_addresses(*, addresses, contact=None, limit=5):
    """The newest delivery failures (DSN) of these addresses or recorded for the contact: one per
    address. A bounce says something about the address, not about a message, so whoever sees
    the contact sees it."""
    addresses = [address.lower() for address in addresses if address]
    condition = Q(address__in=addresses)
    if contact is not None:
        condition |= Q(contact=contact)
    newest = {}
    for bounce in Bounce.objects.filter(condition).order_by("-created_at", "-pk")[: limit * 4]:
        newest.setdefault(bounce.address, bounce)
    return list(newest.values())[:limit]
