"""Reads of the organization and contact pages, scoped to the user (DESIGN §5).

Who sees a customer: an admin every one; anybody else an organization they may see the owner of,
or one with a deal or a lead they see; a contact they may see the owner of, one on a deal or a
lead they see, or one of an organization they see. The lists read this as EXISTS subqueries, so
a page costs the same few queries whatever the number of organizations.
"""

from django.db.models import Case, Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone

from accounts import scoping
from activities.models import Activity
from customers.models import Contact, Organization
from deals import selectors as deal_selectors
from deals.models import Deal
from leads import selectors as lead_selectors
from leads.models import Lead
from mail import selectors as mail_selectors

MONEY = DecimalField(max_digits=20, decimal_places=2)
OPEN = Deal.Status.OPEN


def _visible_deals(user):
    return Deal.objects.filter(scoping.visible_owner_q(user))


def _visible_leads(user):
    """The leads' own rule: a manager also sees the unassigned ones (leads.selectors)."""
    return lead_selectors.lead_list_for_user(user=user).order_by()


# The rule of who sees a customer is deals.selectors' (the deal page's pickers need it too).
organization_visible_q = deal_selectors.organization_visible_q
contact_visible_q = deal_selectors.contact_visible_q


def organization_list_for_user(*, user):
    return Organization.objects.filter(organization_visible_q(user)).select_related("owner")


def organization_get_for_user(*, user, organization_id):
    """One organization the user sees (not in the trash), or Http404."""
    try:
        return organization_list_for_user(user=user).get(pk=organization_id)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organization.") from None


def _deal_sum(user, field, *, where):
    deals = _visible_deals(user).filter(where, organization=OuterRef("pk")).order_by().values("organization")
    return Coalesce(Subquery(deals.annotate(x=Sum(field)).values("x")), Value(0), output_field=MONEY)


def _latest_done(user, parent, parent_field):
    """The latest done activity on the record's visible deals (parent "deal") or leads ("lead"):
    a join from the activities to their parent, so that each record costs an index range."""
    if parent == "deal":
        scope = scoping.visible_owner_q(user, "deal__owner")
    else:
        scope = lead_selectors.lead_scope_q(user, "lead__owner")
    # MAX over the record's activities, not ORDER BY done_at DESC LIMIT 1: that plan walks the
    # whole done_at index from the newest activity until it meets one of this record.
    group = f"{parent}__{parent_field}"
    done = Activity.objects.filter(scope, **{group: OuterRef("pk")}, done_at__isnull=False)
    return Subquery(done.order_by().values(group).annotate(x=Max("done_at")).values("x"))


def with_last_activity(queryset, *, user, parent_field):
    """`last_activity`: the later of the latest done activity on the visible deals and on the
    visible leads (one OR over both made PostgreSQL read every activity for every row)."""
    queryset = queryset.annotate(
        last_deal_activity=_latest_done(user, "deal", parent_field),
        last_lead_activity=_latest_done(user, "lead", parent_field),
    )
    return queryset.annotate(
        last_activity=Case(
            When(last_deal_activity__isnull=True, then=F("last_lead_activity")),
            When(last_lead_activity__isnull=True, then=F("last_deal_activity")),
            default=Greatest("last_deal_activity", "last_lead_activity"),
        )
    )


def organization_rows(*, user, queryset):
    """The list's columns on `queryset` (already scoped and filtered): the open deals' count and
    value, and the last done activity, over the deals and leads the user sees."""
    open_count = (
        _visible_deals(user)
        .filter(status=OPEN, organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("*"))
        .values("n")
    )
    queryset = queryset.annotate(
        open_deals=Coalesce(Subquery(open_count), Value(0)),
        open_value=_deal_sum(user, "value", where=Q(status=OPEN)),
    )
    return with_last_activity(queryset, user=user, parent_field="organization")


def _trash_for_user(model, *, user, related=()):
    """What the user put in the trash or may restore (records of owners whose records they may
    change), newest first; admins: everything."""
    trashed = model.all_objects.filter(deleted_at__isnull=False).select_related("owner", "deleted_by", *related)
    if not scoping.is_admin(user):
        trashed = trashed.filter(Q(deleted_by=user) | (Q(owner__isnull=False) & scoping.changeable_owner_q(user)))
    return trashed.order_by("-deleted_at", "-pk")


def organization_trash_for_user(*, user):
    return _trash_for_user(Organization, user=user)


def organization_trashed_get_for_user(*, user, organization_id):
    try:
        return organization_trash_for_user(user=user).get(pk=organization_id)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise Http404("No such organization in the trash.") from None


def _deals_leads_activities(*, user, where, deal_related, limit):
    """A customer's deals and leads the user sees, the activities planned and done on them, and
    the figures (open deals and their value, won deals and their value, last contact = latest
    done activity, next contact = earliest planned one due from now). Five queries."""
    visible = _visible_deals(user).filter(**where)
    deals = list(visible.select_related(*deal_related).order_by("-created_at", "-id")[:limit])
    leads = list(_visible_leads(user).filter(**where).select_related("owner").order_by("-created_at", "-id")[:limit])
    activities = Activity.objects.filter(
        Q(deal__in=[d.pk for d in deals]) | Q(lead__in=[lead.pk for lead in leads])
    ).select_related("assignee", "deal", "lead")
    figures = visible.aggregate(
        won_value=Coalesce(Sum("value", filter=Q(status=Deal.Status.WON)), Value(0), output_field=MONEY),
        open_value=Coalesce(Sum("value", filter=Q(status=OPEN)), Value(0), output_field=MONEY),
        open_count=Count("pk", filter=Q(status=OPEN)),
        won=Count("pk", filter=Q(status=Deal.Status.WON)),
    )
    dates = activities.aggregate(
        last=Max("done_at"), next=Min("due_at", filter=Q(done_at__isnull=True, due_at__gte=timezone.now()))
    )
    return {
        "open_deals": [d for d in deals if d.status == OPEN],
        "closed_deals": [d for d in deals if d.status != OPEN],
        "leads": leads,
        "planned": list(activities.filter(done_at__isnull=True).order_by("due_at", "id")[:20]),
        "done": list(activities.filter(done_at__isnull=False).order_by("-done_at", "-id")[:20]),
        "figures": {**figures, "last_contact": dates["last"], "next_contact": dates["next"]},
    }


def log_targets(*, user, open_deals, leads):
    """The open deals and leads of a 360° page on which the user may log an activity (those the
    user may change, as on the deal's and lead's own activity panel), newest first. No query."""
    closed = {Lead.Status.DISQUALIFIED, Lead.Status.CONVERTED}
    return (
        [deal for deal in open_deals if scoping.can_change_owned(user, deal.owner)],
        [lead for lead in leads if lead.status not in closed and scoping.can_change_owned(user, lead.owner)],
    )


def _with_last_email(overview, last_email):
    """ "Last contact" is the newer of the last done activity and the newest e-mail the user may
    read (sent or received)."""
    figures = overview["figures"]
    figures["last_contact"] = max(filter(None, [figures["last_contact"], last_email]), default=None)
    figures["last_contact_by_mail"] = bool(last_email and last_email == figures["last_contact"])
    return overview


def organization_overview(*, user, organization, limit=100):
    """What the 360° page shows: its deals, leads, activities and figures (lifetime value = the
    won deals' value, open pipeline, last contact by activity or e-mail) and its contacts."""
    contacts = Contact.objects.filter(organization=organization).select_related("owner")
    overview = _deals_leads_activities(
        user=user,
        where={"organization": organization},
        deal_related=("stage", "pipeline", "owner", "contact", "origin"),
        limit=limit,
    )
    last_email = mail_selectors.last_contacted_for_organization(user=user, organization=organization)
    return {
        **_with_last_email(overview, last_email),
        "contacts": list(contacts.order_by("last_name", "first_name")),
    }


def contact_list_for_user(*, user):
    return Contact.objects.filter(contact_visible_q(user)).select_related("owner", "organization")


def contact_get_for_user(*, user, contact_id):
    """One contact the user sees (not in the trash), or Http404."""
    try:
        return contact_list_for_user(user=user).get(pk=contact_id)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact.") from None


def contact_rows(*, user, queryset):
    """The list's columns on `queryset` (already scoped and filtered): the open deals' count and
    the last done activity, over the deals and leads the user sees."""
    open_count = (
        _visible_deals(user)
        .filter(status=OPEN, contact=OuterRef("pk"))
        .order_by()
        .values("contact")
        .annotate(n=Count("*"))
        .values("n")
    )
    queryset = queryset.annotate(open_deals=Coalesce(Subquery(open_count), Value(0)))
    return with_last_activity(queryset, user=user, parent_field="contact")


def contact_trash_for_user(*, user):
    return _trash_for_user(Contact, user=user, related=("organization",))


def contact_trashed_get_for_user(*, user, contact_id):
    try:
        return contact_trash_for_user(user=user).get(pk=contact_id)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact in the trash.") from None


def organization_suggestions(*, user, text, limit=20):
    """Names of the organizations the user sees that contain `text` (the contact form's
    suggestions): at most `limit`, names that start with it first."""
    text = " ".join((text or "").split())
    if not text:
        return []
    names = (
        organization_list_for_user(user=user)
        .filter(name__icontains=text)
        .annotate(starts=Case(When(name__istartswith=text, then=Value(0)), default=Value(1)))
        .order_by("starts", "name")
        .values_list("name", flat=True)
    )
    return list(dict.fromkeys(names[: limit * 2]))[:limit]


def organization_by_name_for_user(*, user, name):
    """The organizations the user sees called `name` (case and spacing ignored), at most two:
    one is the answer, two say the name is ambiguous."""
    return list(organization_list_for_user(user=user).filter(name__iexact=" ".join(name.split())).order_by("pk")[:2])


def contact_overview(*, user, contact, limit=100):
    """What the contact's 360° page shows: its further addresses, organization history and
    consent history, and its deals, leads, activities and figures. A fixed number of queries."""
    channels = list(contact.channels.all())
    overview = _deals_leads_activities(
        user=user,
        where={"contact": contact},
        deal_related=("stage", "pipeline", "owner", "organization", "origin"),
        limit=limit,
    )
    last_email = mail_selectors.last_contacted_for_contact(user=user, contact=contact)
    return {
        **_with_last_email(overview, last_email),
        "emails": [c for c in channels if c.kind == "email"],
        "phones": [c for c in channels if c.kind == "phone"],
        "moves": list(contact.moves.select_related("from_organization", "to_organization", "actor")[:50]),
        "consent_changes": list(contact.consent_changes.select_related("actor")[:50]),
    }
