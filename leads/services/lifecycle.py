"""A lead's life: create, edit, qualify, change status, mark converted, rescore, record consent.

Every function owns its transaction, checks permission, keeps the score in step with its inputs
and writes the LeadStatusChange history."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from audit import context as audit_context
from audit import services as audit
from customers import consent
from events.models import EventType
from events.services import event_emit
from leads import scoring
from leads.models import (
    Lead,
    LeadConsentChange,
    LeadStatusChange,
    ScoringSettings,
)

S = Lead.Status

# The allowed moves of a lead's status. Conversion is not here: only lead_convert (deals
# app) may take a qualified lead to "converted", because it creates the deal.
TRANSITIONS = {
    S.NEW: {S.CONTACTED, S.DISQUALIFIED},
    S.CONTACTED: {S.NURTURING, S.QUALIFIED, S.DISQUALIFIED},
    S.NURTURING: {S.CONTACTED, S.QUALIFIED, S.DISQUALIFIED},
    S.QUALIFIED: {S.NURTURING, S.DISQUALIFIED},
    S.DISQUALIFIED: {S.NURTURING},
    S.CONVERTED: set(),
}

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "company_name",
    "message",
    "source",
    "campaign",
    "industry",
    "size_band",
    "region",
    "decision_role",
    "persona",
    "need",
    "budget",
    "authority",
    "timing",
)


class LeadError(Exception):
    """A business rule refused the change; the message is for the user."""


def allowed_transitions(lead):
    return [s for s in S if s in TRANSITIONS[S(lead.status)]]


def can_change(user, lead):
    """Owner's rules from DESIGN §5; unassigned leads may be changed by managers and admins."""
    if lead.owner_id is None:
        return scoping.is_admin(user) or user.role == User.Role.MANAGER
    return scoping.can_change_owned(user, lead.owner)


def _check_owner(*, actor, current_owner, new_owner):
    if actor is None or new_owner is None:
        return
    if current_owner is not None and new_owner.pk == current_owner.pk:
        return
    if new_owner.pk == actor.pk and current_owner is None:
        return
    if not scoping.can_reassign(actor, current_owner=current_owner, new_owner=new_owner):
        raise PermissionDenied(_("You may not hand this lead to %(user)s.") % {"user": new_owner})


def _record(*, lead, from_status, actor, reason="", at=None):
    return LeadStatusChange.objects.create(
        lead=lead, from_status=from_status, to_status=lead.status, actor=actor, reason=reason, at=at or timezone.now()
    )


@transaction.atomic
def lead_create(*, actor, owner=None, **fields):
    """Create a new lead with its score and the initial history row ("" → new).

    `actor` is None for the public web form. A user may only give the lead to someone
    they may hand records to.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"consent", "consent_at", "organization", "contact"}
    if unknown:
        raise TypeError(f"lead_create() got unexpected fields: {sorted(unknown)}")
    if actor is not None and owner is not None and owner.pk != actor.pk:
        _check_owner(actor=actor, current_owner=None, new_owner=owner)
    now = timezone.now()
    lead = Lead(owner=owner, status=S.NEW, status_changed_at=now, created_at=now, **fields)
    scoring.apply(lead, config=ScoringSettings.get_solo())
    lead.full_clean(exclude=["organization", "contact", "persona", "owner"])
    lead.save()
    _record(lead=lead, from_status="", actor=actor, at=now)
    event_emit(
        EventType.LEAD_CREATED,
        subject_type="lead",
        subject_id=lead.pk,
        actor=actor,
        at=now,
        data={"source": lead.source},
    )
    return lead


@transaction.atomic
def lead_update(*, lead_id, actor, **fields):
    """Change a lead's fields (and owner); the score is recomputed when a criterion changes."""
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"owner"}
    if unknown:
        raise TypeError(f"lead_update() got unexpected fields: {sorted(unknown)}")
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)
    if not can_change(actor, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if lead.status == S.CONVERTED:
        raise LeadError(_("A converted lead is closed; change its deal instead."))
    if "owner" in fields:
        owner = fields.pop("owner")
        if (owner.pk if owner else None) != lead.owner_id:
            if owner is None:
                raise LeadError(_("A lead keeps an owner once it has one."))
            _check_owner(actor=actor, current_owner=lead.owner, new_owner=owner)
            lead.owner = owner
    for name, value in fields.items():
        setattr(lead, name, value)
    scoring.apply(lead, config=ScoringSettings.get_solo())
    lead.full_clean(exclude=["organization", "contact", "persona", "owner"])
    lead.save()
    return lead


def lead_qualify(*, lead_id, actor, need, budget, authority, timing):
    """Set the four criteria; the stored score and its breakdown follow."""
    return lead_update(lead_id=lead_id, actor=actor, need=need, budget=budget, authority=authority, timing=timing)


@transaction.atomic
def lead_change_status(*, lead_id, actor, to_status, reason=""):
    """Move a lead along TRANSITIONS; disqualifying needs a reason. Writes the history row."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)
    if not can_change(actor, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if to_status not in S.values:
        raise LeadError(_("Unknown status."))
    to_status = S(to_status)
    if to_status == S.CONVERTED:
        raise LeadError(_("Convert a qualified lead with “Convert to deal”; it creates the deal."))
    if to_status not in TRANSITIONS[S(lead.status)]:
        raise LeadError(
            _("A lead cannot go from %(from)s to %(to)s.") % {"from": S(lead.status).label, "to": to_status.label}
        )
    reason = (reason or "").strip()
    if to_status == S.DISQUALIFIED and not reason:
        raise LeadError(_("Give a reason for disqualifying the lead."))
    now = timezone.now()
    from_status = lead.status
    lead.status = to_status
    lead.disqualified_reason = reason[:200] if to_status == S.DISQUALIFIED else ""
    lead.status_changed_at = now
    lead.last_touch_at = now
    with audit_context.history_row():
        lead.save(update_fields=["status", "disqualified_reason", "status_changed_at", "last_touch_at", "updated_at"])
    _record(lead=lead, from_status=from_status, actor=actor, reason=reason[:200], at=now)
    return lead


# A lead converts from any open status: a rep who has the deal in hand should not click through
# "contacted" and "qualified" first. The history still shows the lead passing "qualified" (the
# funnel's lead-to-qualified step counts it); disqualified leads are reopened first.
CONVERTIBLE = frozenset({S.NEW, S.CONTACTED, S.NURTURING, S.QUALIFIED})


def may_convert(lead):
    return lead.status in CONVERTIBLE


def lead_mark_converted(*, lead, actor, organization, contact, at):
    """Part of lead_convert (deals app): call inside its transaction with the lead locked. A lead
    not yet qualified is recorded as qualified at the same moment, then converted."""
    if not may_convert(lead):
        raise LeadError(_("Only an open lead can be converted."))
    if lead.status != S.QUALIFIED:
        LeadStatusChange.objects.create(lead=lead, from_status=lead.status, to_status=S.QUALIFIED, actor=actor, at=at)
    from_status = S.QUALIFIED
    lead.status = S.CONVERTED
    lead.converted_at = at
    lead.status_changed_at = at
    lead.last_touch_at = at
    lead.organization = organization
    lead.contact = contact
    with audit_context.history_row():
        lead.save(
            update_fields=[
                "status",
                "converted_at",
                "status_changed_at",
                "last_touch_at",
                "organization",
                "contact",
                "updated_at",
            ]
        )
    _record(lead=lead, from_status=from_status, actor=actor, at=at)
    return lead


@transaction.atomic
def scoring_rescore_all(*, batch_size=1000):
    """Recompute every stored score after the weights changed; returns how many changed.

    bulk_update sends no model signals: the audit entries (score old → new) are written
    explicitly, batch by batch, in the same transaction."""
    config = ScoringSettings.get_solo()
    changed, batch = 0, []
    fields = ["id", "first_name", "last_name", "company_name", "score", "score_breakdown", *scoring.CRITERIA]

    def write(batch):
        audit.audit_record_bulk_update(pairs=batch, fields=["score"])
        return Lead.objects.bulk_update([new for _old, new in batch], ["score", "score_breakdown"])

    for lead in Lead.objects.only(*fields).order_by("pk").iterator(chunk_size=batch_size):
        before = audit.snapshot(lead)
        if scoring.apply(lead, config=config):
            batch.append((before, lead))
        if len(batch) >= batch_size:
            changed += write(batch)
            batch = []
    if batch:
        changed += write(batch)
    return changed


# Public web form ------------------------------------------------------------------------


@transaction.atomic
def lead_consent_set(*, actor, lead, status, source, proof="", at=None):
    """Record the lead's e-mail consent with where it came from and what documents it (kept as
    history, `customers.consent.check` says what is required); `actor` None for the system."""
    source, proof = consent.check(status=status, source=str(source), proof=proof)
    lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
    change = LeadConsentChange.objects.create(
        lead=lead, status=status, source=source[:200], proof=proof, actor=actor, at=at or timezone.now()
    )
    lead.email_consent = status
    lead.email_consent_at = change.at
    lead.save(update_fields=["email_consent", "email_consent_at", "updated_at"])
    consent.changed(lead=lead, change=change)
    return lead
