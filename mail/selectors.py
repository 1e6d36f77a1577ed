"""Reads of the mail app, each scoped to the user (docs/email.md)."""

from django.db.models import Q
from django.http import Http404

from accounts import scoping
from customers.models import Contact, Organization
from deals import selectors as deal_selectors
from leads import selectors as lead_selectors
from mail.models import EmailMessage, EmailTemplate, Mailbox

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


# --- messages -------------------------------------------------------------------------------


def message_visible_q(user):
    """Own messages; a teammate's only when shared and linked to a deal or lead the user sees."""
    if scoping.is_admin(user):
        return Q(owner=user) | Q(shared=True)
    deals = deal_selectors.deal_list_for_user(user=user).order_by().values("pk")
    leads = lead_selectors.lead_list_for_user(user=user).order_by().values("pk")
    return Q(owner=user) | (Q(shared=True) & (Q(deal__in=deals) | Q(lead__in=leads)))


def message_get_for_user(*, user, message_id):
    try:
        return EmailMessage.objects.filter(message_visible_q(user)).select_related("deal", "lead").get(pk=message_id)
    except (EmailMessage.DoesNotExist, ValueError, TypeError):
        raise Http404("No such message.") from None


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
    return Mailbox.objects.filter(user=user).values_list("signature", flat=True).first() or ""
