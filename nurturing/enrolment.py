"""Enrolments (ENGINE part; this minimal version stands in until the engine's is merged).

The interface is the shared plan's: `enrol`, `exit_enrolment` and the sequence's activate, pause
and resume. This version changes the status, writes the events and enrols without the
consent, overlap and exit checks the engine adds.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from nurturing import segments
from nurturing.models import Enrolment, EnrolmentEvent, Segment, Sequence


@dataclass
class EnrolResult:
    enrolled: int = 0
    skipped: list = field(default_factory=list)


def _first_position(sequence):
    return sequence.steps.order_by("position").values_list("position", flat=True).first()


def enrol(*, sequence, contacts=(), leads=(), via, actor=None, rule=None):
    """Enrol the contacts and leads not in the sequence yet (bulk); the others are skipped."""
    result = EnrolResult()
    if sequence.status != Sequence.Status.ACTIVE:
        result.skipped = [(record, "sequence_not_active") for record in [*contacts, *leads]]
        return result
    now = timezone.now()
    first = _first_position(sequence)
    with transaction.atomic():
        taken = Enrolment.objects.filter(sequence=sequence, status=Enrolment.Status.ACTIVE)
        taken_contacts = set(taken.filter(contact__isnull=False).values_list("contact_id", flat=True))
        taken_leads = set(taken.filter(lead__isnull=False).values_list("lead_id", flat=True))
        rows = []
        for field_name, records, taken_ids in (("contact", contacts, taken_contacts), ("lead", leads, taken_leads)):
            for record in records:
                if record.pk in taken_ids:
                    result.skipped.append((record, "already_enrolled"))
                    continue
                taken_ids.add(record.pk)
                rows.append(
                    Enrolment(
                        sequence=sequence,
                        via=via,
                        enrolled_by=actor,
                        enrolled_at=now,
                        next_position=first,
                        next_run_at=now if first is not None else None,
                        **{field_name: record},
                    )
                )
        created = Enrolment.objects.bulk_create(rows)
        EnrolmentEvent.objects.bulk_create(
            EnrolmentEvent(
                enrolment=enrolment,
                contact_id=enrolment.contact_id,
                lead_id=enrolment.lead_id,
                kind=EnrolmentEvent.Kind.ENROLLED,
                detail=via,
                at=now,
            )
            for enrolment in created
        )
    result.enrolled = len(created)
    return result


def exit_enrolment(*, enrolment, reason, detail=""):
    now = timezone.now()
    with transaction.atomic():
        updated = Enrolment.objects.filter(pk=enrolment.pk, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.EXITED,
            exit_reason=reason,
            exit_detail=detail[:300],
            ended_at=now,
            next_position=None,
            next_run_at=None,
        )
        if updated:
            EnrolmentEvent.objects.create(
                enrolment=enrolment,
                contact_id=enrolment.contact_id,
                lead_id=enrolment.lead_id,
                kind=EnrolmentEvent.Kind.EXITED,
                detail=reason,
                at=now,
            )


def _set_status(sequence, status, **fields):
    Sequence.objects.filter(pk=sequence.pk).update(status=status, updated_at=timezone.now(), **fields)
    sequence.status = status
    for name, value in fields.items():
        setattr(sequence, name, value)


def sequence_activate(*, sequence, actor):
    """Start the sequence and enrol its segment's members (in the segment owner's scope)."""
    with transaction.atomic():
        _set_status(sequence, Sequence.Status.ACTIVE, paused_at=None)
        if sequence.segment_id:
            members = list(segments.members(sequence.segment))
            kind = {Segment.Kind.CONTACTS: "contacts", Segment.Kind.LEADS: "leads"}[sequence.segment.kind]
            enrol(sequence=sequence, via=Enrolment.Via.SEGMENT, actor=actor, **{kind: members})
    return sequence


def sequence_pause(*, sequence, actor):
    with transaction.atomic():
        _set_status(sequence, Sequence.Status.PAUSED, paused_at=timezone.now())
    return sequence


def sequence_resume(*, sequence, actor):
    with transaction.atomic():
        _set_status(sequence, Sequence.Status.ACTIVE, paused_at=None)
    return sequence
