"""Converting an open lead into an organization, a contact and a deal.

This lives in the deals app because it creates a deal and deals sits above leads in the
dependency order; the lead side of the change is leads.services.lead_mark_converted.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from customers.models import Contact, Organization
from deals import services as deal_services
from deals.models import Pipeline
from events.models import EventType
from events.services import event_emit
from leads import services as lead_services
from leads.models import Lead

# E-mail domains that say nothing about the employer: never match an organization by them.
FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "freenet.de",
        "gmail.com",
        "gmx.at",
        "gmx.ch",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.de",
        "me.com",
        "outlook.com",
        "posteo.de",
        "proton.me",
        "protonmail.com",
        "t-online.de",
        "web.de",
        "yahoo.com",
        "yahoo.de",
    }
)


# The expected close date a conversion proposes: a month out, the typical first estimate.
DEFAULT_CLOSE_DAYS = 30


class ConversionError(Exception):
    """The conversion was refused; the message is for the user. Nothing was saved."""


def email_domain(email):
    domain = email.rsplit("@", 1)[-1].strip().lower() if email and "@" in email else ""
    return "" if domain in FREE_MAIL_DOMAINS else domain


def organization_match(*, name, email):
    """An existing organization with the same name (any case), else with the lead's
    e-mail domain (free-mail domains excluded), else None."""
    name = (name or "").strip()
    if name:
        org = Organization.objects.filter(name__iexact=name).order_by("pk").first()
        if org is not None:
            return org
    domain = email_domain(email)
    if domain:
        return Organization.objects.filter(email_domain__iexact=domain).order_by("pk").first()
    return None


def lead_convert(*, lead_id, actor, pipeline_id, owner=None, value=Decimal("0"), title="", expected_close_date=None):
    """Turn an open lead (new, contacted, nurturing or qualified) into an organization (matched or created), a contact and an
    open deal in the first stage of the pipeline, in one transaction: the lead is marked
    converted and linked to the organization and contact, the deal to the lead.

    Converting twice is impossible: Deal.source_lead is one-to-one, so a second deal for
    the same lead violates the database constraint and everything rolls back.
    """
    try:
        with transaction.atomic():
            return _convert(
                lead_id=lead_id,
                actor=actor,
                pipeline_id=pipeline_id,
                owner=owner,
                value=value,
                title=title,
                expected_close_date=expected_close_date,
            )
    except IntegrityError:
        raise ConversionError(_("This lead has already been converted into a deal.")) from None


def _convert(*, lead_id, actor, pipeline_id, owner, value, title, expected_close_date):
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)
    if not lead_services.can_change(actor, lead):
        raise PermissionDenied(_("You may not convert this lead."))
    if lead.status == Lead.Status.CONVERTED:
        raise ConversionError(_("This lead has already been converted into a deal."))
    if not lead_services.may_convert(lead):
        raise ConversionError(
            _("Only an open lead can be converted; this one is %(status)s.") % {"status": lead.get_status_display()}
        )
    pipeline = Pipeline.objects.filter(pk=pipeline_id, is_active=True).first()
    first_stage = pipeline.stages.order_by("order", "id").first() if pipeline else None
    if first_stage is None:
        raise ConversionError(_("Choose an active pipeline with at least one stage."))
    owner = owner or lead.owner or actor
    claims_unassigned = lead.owner_id is None and owner.pk == actor.pk
    may_give = scoping.can_reassign(actor, current_owner=lead.owner, new_owner=owner)
    if owner.pk != lead.owner_id and not claims_unassigned and not may_give:
        raise PermissionDenied(_("You may not give this deal to %(user)s.") % {"user": owner})
    value = Decimal(value or 0)
    if value < 0:
        raise ConversionError(_("The value cannot be negative."))

    organization = organization_match(name=lead.company_name, email=lead.email)
    if organization is None:
        organization = Organization.objects.create(
            name=(lead.company_name or lead.full_name)[:200],
            industry=lead.industry,
            size_band=lead.size_band,
            region=lead.region,
            email_domain=email_domain(lead.email),
        )
    else:
        # Fill the segment fields the organization still lacks from what the lead knows.
        changed = [f for f in ("industry", "size_band", "region") if not getattr(organization, f) and getattr(lead, f)]
        for field in changed:
            setattr(organization, field, getattr(lead, field))
        if changed:
            organization.save(update_fields=changed)

    contact, contact_created = None, False
    if lead.email:
        contact = Contact.objects.filter(organization=organization, email__iexact=lead.email).order_by("pk").first()
    if contact is None:
        contact = Contact.objects.create(
            organization=organization,
            first_name=lead.first_name,
            last_name=lead.last_name,
            email=lead.email,
            phone=lead.phone,
            job_title=lead.job_title,
            decision_role=lead.decision_role,
        )
        contact_created = True

    deal = deal_services.deal_create(
        title=(title or organization.name)[:200],
        stage=first_stage,
        owner=owner,
        actor=actor,
        value=value,
        organization=organization,
        contact=contact,
        expected_close_date=expected_close_date,
        source_lead=lead,
    )
    lead_services.lead_mark_converted(
        lead=lead, actor=actor, organization=organization, contact=contact, at=timezone.now()
    )
    if contact_created:
        event_emit(EventType.CONTACT_CREATED, subject_type="contact", subject_id=contact.pk, actor=actor)
    event_emit(
        EventType.LEAD_CONVERTED,
        subject_type="lead",
        subject_id=lead.pk,
        actor=actor,
        data={"deal_id": deal.pk, "organization_id": organization.pk, "contact_id": contact.pk if contact else None},
    )
    return deal
