"""Putting people into sequences and taking them out (docs/nurturing.md, "Sequences and steps"
and "Leaving a sequence").

`enrol()` works in batches of BATCH people with a fixed number of queries per batch (the
records, the suppressed addresses, who is active here, who is in another mailing sequence,
whom the actor may change, one INSERT of enrolments and one of their events), so 10,000 people
cost some 20 batches, never a query per person. Who cannot be enrolled is returned with the
reason: no address, consent refused ("suppressed", "no_consent", "withdrawn"), already active
in this sequence, in another mailing sequence (the overlap rule), or a record the actor may not
change (manual enrolment only).
"""

import logging
from dataclasses import dataclass, field

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import changeable_owner_q, is_admin
from customers.models import MARKETING_ALLOWED, Consent, Contact
from leads.models import Lead
from nurturing import segments
from nurturing.models import Enrolment, EnrolmentEvent, Sequence, Step, Suppression

logger = logging.getLogger(__name__)

BATCH = 500

# Why a person was not enrolled (keys of EnrolResult.skipped), for the pages.
SKIP_REASONS = {
    "no_address": _("no e-mail address"),
    "suppressed": _("the address gets no marketing e-mail (unsubscribed or bounced)"),
    "no_consent": _("no consent to marketing e-mail"),
    "withdrawn": _("consent withdrawn"),
    "already_enrolled": _("already in this sequence"),
    "other_sequence": _("already in another sequence that sends e-mail"),
    "not_allowed": _("you may not change this record"),
}

# Why an enrolment ended early (Enrolment.exit_reason), for the pages and the timeline.
EXIT_REASONS = {
    "replied": _("replied"),
    "meeting": _("booked a meeting"),
    "converted": _("the lead was converted"),
    "deal_won": _("a deal was won"),
    "deal_lost": _("a deal was lost"),
    "unsubscribed": _("unsubscribed"),
    "suppressed": _("the address gets no marketing e-mail"),
    "hard_bounce": _("the address bounced"),
    "withdrawn": _("consent withdrawn"),
    "no_consent": _("no consent to marketing e-mail"),
    "no_address": _("no e-mail address"),
    "template_error": _("the e-mail could not be written"),
    "withheld": _("the e-mail was withheld at sending"),
    "manual": _("taken out by hand"),
    "deleted": _("the contact or lead was deleted"),
}


@dataclass
class EnrolResult:
    enrolled: int = 0
    skipped: list = field(default_factory=list)  # [(record, reason key)]


def may_manage_sequences(user):
    """Admins and managers create, edit, start and pause sequences (docs/nurturing.md)."""
    return is_admin(user) or (user.is_authenticated and user.role == "manager")


def mails(sequence):
    return sequence.steps.filter(kind=Step.Kind.EMAIL).exists()


def first_position(sequence):
    return sequence.steps.order_by("position").values_list("position", flat=True).first()


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_batches(records, model):
    """Batches of fresh rows (their consent and owner as stored now) from a queryset or a list."""
    if isinstance(records, QuerySet):
        ids = list(records.order_by().values_list("pk", flat=True).distinct())
    else:
        ids = [record.pk for record in records]
    fields = ("pk", "email", "email_consent", "owner")
    for chunk in _chunks(list(dict.fromkeys(ids)), BATCH):
        rows = model.objects.filter(pk__in=chunk).only(*fields).order_by("pk")
        yield list(rows)


def enrol(*, sequence, contacts=(), leads=(), via, actor=None, rule=None):
    """Enrol contacts and leads (querysets or lists) in `sequence`; EnrolResult(enrolled, skipped).

    `via` is Enrolment.Via; a manual enrolment (`actor` given, not an admin) takes only the records
    the actor may change. Each enrolment starts at the first step, due now, with an "enrolled" event.
    """
    if sequence.status == Sequence.Status.ARCHIVED:
        raise ValidationError(_("An archived sequence takes nobody in."))
    result = EnrolResult()
    context = {
        "first": first_position(sequence),
        "mails": mails(sequence),
        "detail": str(rule) if rule is not None else "",
    }
    for kind, records, model in (("contact", contacts, Contact), ("lead", leads, Lead)):
        for batch in _record_batches(records, model):
            _enrol_batch(sequence, kind, batch, via=via, actor=actor, context=context, result=result)
    return result


def _enrol_batch(sequence, kind, batch, *, via, actor, context, result, retry=True):
    try:
        with transaction.atomic():
            accepted, skipped = _check_batch(sequence, kind, batch, via=via, actor=actor, mails=context["mails"])
            _create(sequence, kind, accepted, via=via, actor=actor, context=context)
    except IntegrityError:
        # Another enrolment of the same people committed meanwhile: check the batch again.
        if not retry:
            raise
        return _enrol_batch(sequence, kind, batch, via=via, actor=actor, context=context, result=result, retry=False)
    result.enrolled += len(accepted)
    result.skipped.extend(skipped)


def _check_batch(sequence, kind, batch, *, via, actor, mails):
    ids = [record.pk for record in batch]
    person = {f"{kind}_id__in": ids}
    addresses = {record.email.strip().lower() for record in batch if record.email}
    suppressed = set(Suppression.objects.filter(address__in=addresses).values_list("address", flat=True))
    active = Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, **person)
    here = set(active.filter(sequence=sequence).values_list(f"{kind}_id", flat=True))
    elsewhere = set()
    if mails and not sequence.allow_overlap:
        elsewhere = set(
            active.exclude(sequence=sequence)
            .filter(sequence__allow_overlap=False, sequence__steps__kind=Step.Kind.EMAIL)
            .values_list(f"{kind}_id", flat=True)
        )
    changeable = None
    if via == Enrolment.Via.MANUAL and actor is not None and not is_admin(actor):
        model = type(batch[0]) if batch else Contact
        changeable = set(
            model.objects.filter(pk__in=ids).filter(changeable_owner_q(actor)).values_list("pk", flat=True)
        )
    accepted, skipped = [], []
    for record in batch:
        address = (record.email or "").strip().lower()
        if changeable is not None and record.pk not in changeable:
            reason = "not_allowed"
        elif not address:
            reason = "no_address"
        elif address in suppressed:
            reason = "suppressed"
        elif record.email_consent == Consent.WITHDRAWN:
            reason = "withdrawn"
        elif record.email_consent not in MARKETING_ALLOWED:
            reason = "no_consent"
        elif record.pk in here:
            reason = "already_enrolled"
        elif record.pk in elsewhere:
            reason = "other_sequence"
        else:
            accepted.append(record)
            continue
        skipped.append((record, reason))
    return accepted, skipped


def _create(sequence, kind, records, *, via, actor, context):
    if not records:
        return
    now = timezone.now()
    first = context["first"]
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                sequence=sequence,
                status=Enrolment.Status.ACTIVE,
                via=via,
                enrolled_by=actor,
                enrolled_at=now,
                next_position=first,
                next_run_at=now if first is not None else None,
                **{f"{kind}_id": record.pk},
            )
            for record in records
        ]
    )
    if first is None:  # a sequence without steps: nothing to run, done at once
        Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).update(
            status=Enrolment.Status.COMPLETED, ended_at=now
        )
    EnrolmentEvent.objects.bulk_create(
        [
            EnrolmentEvent(
                enrolment_id=enrolment.pk,
                contact_id=enrolment.contact_id,
                lead_id=enrolment.lead_id,
                kind=EnrolmentEvent.Kind.ENROLLED,
                detail=(context["detail"] or enrolment.get_via_display())[:300],
                at=now,
            )
            for enrolment in enrolments
        ]
    )


# --- leaving ---------------------------------------------------------------------------------


def event(enrolment, kind, *, detail="", position=None, at=None):
    return EnrolmentEvent.objects.create(
        enrolment=enrolment,
        contact_id=enrolment.contact_id,
        lead_id=enrolment.lead_id,
        kind=kind,
        position=position,
        detail=str(detail)[:300],
        at=at or timezone.now(),
    )


def exit_enrolment(*, enrolment, reason, detail=""):
    """End an active enrolment early with a reason (EXIT_REASONS) and an event; True when this
    call ended it (False when it had ended already)."""
    now = timezone.now()
    with transaction.atomic():
        ended = Enrolment.objects.filter(pk=enrolment.pk, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.EXITED,
            ended_at=now,
            exit_reason=reason[:30],
            exit_detail=str(detail)[:300],
            next_position=None,
            next_run_at=None,
            claimed_at=None,
            claim_token=None,
        )
        if ended:
            label = EXIT_REASONS.get(reason, reason)
            event(enrolment, EnrolmentEvent.Kind.EXITED, detail=f"{label}: {detail}" if detail else label, at=now)
    if ended:
        enrolment.status, enrolment.exit_reason, enrolment.exit_detail = Enrolment.Status.EXITED, reason, detail
        enrolment.ended_at, enrolment.next_position, enrolment.next_run_at = now, None, None
    return bool(ended)


def complete_enrolment(*, enrolment, at=None):
    now = at or timezone.now()
    enrolment.status, enrolment.ended_at = Enrolment.Status.COMPLETED, now
    enrolment.next_position = enrolment.next_run_at = None
    event(enrolment, EnrolmentEvent.Kind.COMPLETED, at=now)


# --- the sequence's state ------------------------------------------------------------------


def _check_may_manage(actor):
    if actor is not None and not may_manage_sequences(actor):
        raise PermissionDenied


def sequence_activate(*, sequence, actor):
    """Start a draft (or paused) sequence: every step must be complete."""
    _check_may_manage(actor)
    steps = list(sequence.steps.all())
    if not steps:
        raise ValidationError(_("Add a step before starting the sequence."))
    positions = {step.position for step in steps}
    for step in steps:
        step.full_clean(exclude=["sequence"])
        for target in (step.then_position, step.else_position):
            if step.kind == Step.Kind.BRANCH and target is not None and target not in positions:
                raise ValidationError(_("Step %(step)s jumps to a step that does not exist.") % {"step": step.position})
    if sequence.status == Sequence.Status.PAUSED:
        return sequence_resume(sequence=sequence, actor=actor)
    Sequence.objects.filter(pk=sequence.pk).update(status=Sequence.Status.ACTIVE, paused_at=None)
    sequence.status, sequence.paused_at = Sequence.Status.ACTIVE, None
    if sequence.segment_id and sequence.auto_enrol:
        # Queued by name: a segment of thousands is enrolled by a worker, not in the request.
        transaction.on_commit(lambda: current_app.send_task("nurturing.enrol_segment", args=[sequence.pk]))
    return sequence


def _events_for_all_active(sequence, kind, now):
    active = Enrolment.objects.filter(sequence=sequence, status=Enrolment.Status.ACTIVE).order_by("pk")
    rows = list(active.values_list("pk", "contact_id", "lead_id"))
    for chunk in _chunks(rows, BATCH):
        EnrolmentEvent.objects.bulk_create(
            [EnrolmentEvent(enrolment_id=pk, contact_id=c, lead_id=lead, kind=kind, at=now) for pk, c, lead in chunk]
        )


@transaction.atomic
def sequence_pause(*, sequence, actor):
    """Stop running the sequence's enrolments (they keep their place; e-mails already queued
    still go out). Each active enrolment gets a "paused" event."""
    _check_may_manage(actor)
    now = timezone.now()
    if Sequence.objects.filter(pk=sequence.pk, status=Sequence.Status.ACTIVE).update(
        status=Sequence.Status.PAUSED, paused_at=now
    ):
        _events_for_all_active(sequence, EnrolmentEvent.Kind.PAUSED, now)
    sequence.refresh_from_db(fields=["status", "paused_at"])
    return sequence


@transaction.atomic
def sequence_resume(*, sequence, actor):
    """Run a paused sequence again: steps that fell due meanwhile run at the next run (within
    the rate limits, caps and quiet hours)."""
    _check_may_manage(actor)
    now = timezone.now()
    if Sequence.objects.filter(pk=sequence.pk, status=Sequence.Status.PAUSED).update(
        status=Sequence.Status.ACTIVE, paused_at=None
    ):
        _events_for_all_active(sequence, EnrolmentEvent.Kind.RESUMED, now)
    sequence.refresh_from_db(fields=["status", "paused_at"])
    return sequence


# --- segments ----------------------------------------------------------------------------------


def enrol_segment(sequence):
    """Enrol the members of an active sequence's segment who were never in it (via segment)."""
    if sequence.status != Sequence.Status.ACTIVE or sequence.segment_id is None or not sequence.auto_enrol:
        return EnrolResult()
    try:
        members = segments.members(sequence.segment)
    except ValidationError as error:
        logger.warning("Segment %s of sequence %s cannot be read: %s", sequence.segment_id, sequence.pk, error)
        return EnrolResult()
    kind = "contact" if sequence.segment.kind == sequence.segment.Kind.CONTACTS else "lead"
    before = Enrolment.objects.filter(sequence=sequence, **{f"{kind}__isnull": False}).values(f"{kind}_id")
    members = members.exclude(pk__in=before)
    if kind == "contact":
        return enrol(sequence=sequence, contacts=members, via=Enrolment.Via.SEGMENT)
    return enrol(sequence=sequence, leads=members, via=Enrolment.Via.SEGMENT)


def enrol_segments():
    """Every active sequence with a segment and auto-enrolment; returns how many were enrolled."""
    sequences = Sequence.objects.filter(
        status=Sequence.Status.ACTIVE, segment__isnull=False, auto_enrol=True
    ).select_related("segment", "segment__owner")
    return sum(enrol_segment(sequence).enrolled for sequence in sequences)
