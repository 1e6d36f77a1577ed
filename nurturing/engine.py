"""Running the sequences (docs/nurturing.md, "Sequences and steps" and "Workers and restarts").

`run_due()` (every minute) claims due enrolments of active sequences under a lease, as the
reminders and the mail delivery do: SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), then a
conditional UPDATE that only takes rows nobody holds (or whose lease ran out), so two workers
never run the same enrolment and SQLite, which has no row locks, gets the same guarantee from
the UPDATE's row count. Each claimed enrolment then runs in its own transaction: its exit
conditions are checked (a batch at a time), then its steps until one waits. The step's writes —
the enrolment's new position, its events, the Send row and the mail message — commit together,
so a worker killed mid-run leaves the enrolment where it was and the next run after the lease
does the step again without a second e-mail. Delivery is the mail app's (at least once).
"""

import logging
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activities import services as activity_services
from activities.models import Kind as ActivityKind
from deals.models import Deal
from nurturing import conditions, enrolment, pacing, sending
from nurturing.models import Enrolment, EnrolmentEvent, Sequence, Step
from nurturing.timezones import person_time_zone

logger = logging.getLogger(__name__)

Event = EnrolmentEvent.Kind
# Steps run one after another in one run while none waits; a longer chain goes on next run.
MAX_STEPS_PER_RUN = 20
BATCH = 100


def _lease():
    return timedelta(seconds=settings.CRM_NURTURE_LEASE_SECONDS)


def _due(now):
    held_by_nobody = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - _lease())
    return Enrolment.objects.filter(
        held_by_nobody, status=Enrolment.Status.ACTIVE, sequence__status=Sequence.Status.ACTIVE, next_run_at__lte=now
    )


def claim(*, now, limit):
    """Claim up to `limit` due enrolments under one token; (token, ids claimed)."""
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_run_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        _due(now).filter(pk__in=ids).update(claimed_at=now, claim_token=token)
    return token, list(
        Enrolment.objects.filter(claim_token=token).order_by("next_run_at", "pk").values_list("pk", flat=True)
    )


class Run:
    """One run: the steps of each sequence met, the pacing counters, what happened."""

    def __init__(self, now):
        self.now = now
        self.pacing = pacing.Pacing(now)
        self.steps = {}
        self.counts = {"sent": 0, "postponed": 0, "exited": 0, "completed": 0, "steps": 0}

    def steps_of(self, sequence_id):
        if sequence_id not in self.steps:
            self.steps[sequence_id] = {
                step.position: step for step in Step.objects.filter(sequence_id=sequence_id).select_related("template")
            }
        return self.steps[sequence_id]

    def next_position(self, step):
        later = sorted(position for position in self.steps_of(step.sequence_id) if position > step.position)
        return later[0] if later else None


def _load(ids, token):
    return list(
        Enrolment.objects.filter(pk__in=ids, claim_token=token, status=Enrolment.Status.ACTIVE)
        .select_related(
            "sequence",
            "sequence__owner",
            "sequence__segment",
            "contact",
            "contact__owner",
            "contact__organization",
            "lead",
            "lead__owner",
            "lead__organization",
            "lead__contact",
            "lead__persona",
        )
        .order_by("next_run_at", "pk")
    )


def run_due(*, now=None, limit=None, batch_size=BATCH):
    """Run every due enrolment (up to `limit`); returns the counts of what happened."""
    now = now or timezone.now()
    limit = limit or settings.CRM_NURTURE_RUN_LIMIT
    run = Run(now)
    sending.sync_send_states()
    done = 0
    while done < limit:
        token, ids = claim(now=now, limit=min(batch_size, limit - done))
        if not ids:
            break
        done += len(ids)
        enrolments = _load(ids, token)
        reasons = conditions.exit_reasons(enrolments)
        for item in enrolments:
            try:
                _run_one(item, token, run, reasons.get(item.pk))
            except Exception:  # one person's failure must not stop the batch
                logger.exception("Enrolment %s failed; it is tried again later", item.pk)
                Enrolment.objects.filter(pk=item.pk, claim_token=token).update(
                    claimed_at=None, claim_token=None, next_run_at=now + timedelta(minutes=5)
                )
        if len(ids) < batch_size:
            break
    return run.counts


def _run_one(item, token, run, exit_reason):
    with transaction.atomic():
        if not Enrolment.objects.select_for_update().filter(pk=item.pk, claim_token=token).exists():
            return  # the lease ran out and another run took it
        if exit_reason is not None:
            enrolment.exit_enrolment(enrolment=item, reason=exit_reason[0], detail=exit_reason[1])
            run.counts["exited"] += 1
            return
        for _hop in range(MAX_STEPS_PER_RUN):
            if item.status != Enrolment.Status.ACTIVE or not _step(item, run):
                break
        if item.status == Enrolment.Status.ACTIVE:
            item.claimed_at = item.claim_token = None
            item.save(update_fields=["next_position", "next_run_at", "claimed_at", "claim_token"])
        elif item.status == Enrolment.Status.COMPLETED:
            item.claimed_at = item.claim_token = None
            item.save(update_fields=["status", "ended_at", "next_position", "next_run_at", "claimed_at", "claim_token"])
            run.counts["completed"] += 1


def _advance(item, run, to_position):
    """Go on at `to_position` (None: the sequence ends here)."""
    if to_position is None:
        enrolment.complete_enrolment(enrolment=item, at=run.now)
        return False
    item.next_position, item.next_run_at = to_position, run.now
    return True


def _step(item, run):
    """Run the enrolment's next step; True to go on with the next one in this run."""
    step = run.steps_of(item.sequence_id).get(item.next_position)
    if step is None:
        return _advance(item, run, None)
    run.counts["steps"] += 1
    handler = {
        Step.Kind.EMAIL: _email,
        Step.Kind.WAIT: _wait,
        Step.Kind.TASK: _task,
        Step.Kind.BRANCH: _branch,
    }[step.kind]
    return handler(item, step, run)


def _person(item):
    return item.contact if item.contact_id else item.lead


def _email(item, step, run):
    person = _person(item)
    contact, lead = (item.contact, None) if item.contact_id else (None, item.lead)
    sender = sending.sender_for(sequence=item.sequence, contact=contact, lead=lead)
    address = (person.email or "").strip().lower()
    tz = person_time_zone(contact=contact, lead=lead)
    hold = run.pacing.hold(now=run.now, tz=tz, domain=address.rsplit("@", 1)[-1], sender=sender)
    if hold is not None:
        reason, until = hold
        item.next_run_at = until
        enrolment.event(item, Event.POSTPONED, position=step.position, detail=f"{reason} {until.isoformat()}")
        run.counts["postponed"] += 1
        return False
    try:
        with transaction.atomic():
            sending.send_marketing(
                template=step.template,
                sender=sender,
                contact=contact,
                lead=lead,
                enrolment=item,
                step=step,
                segment=item.sequence.segment if item.via == Enrolment.Via.SEGMENT else None,
                now=run.now,
            )
    except sending.SendRefused as refused:
        enrolment.exit_enrolment(enrolment=item, reason=refused.reason, detail=refused.detail)
        run.counts["exited"] += 1
        return False
    run.pacing.count(now=run.now, domain=address.rsplit("@", 1)[-1], sender=sender)
    run.counts["sent"] += 1
    enrolment.event(item, Event.STEP, position=step.position, detail=step.template.name)
    return _advance(item, run, run.next_position(step))


def wait_until(step, *, now, tz):
    """When a wait step ends: after `wait_days`, then (when a weekday or time is set) at the next
    such weekday and time of day in zone `tz` (9:00 when only the weekday is given)."""
    target = now + timedelta(days=step.wait_days or 0)
    if step.wait_weekday is None and step.wait_time is None:
        return target
    local = target.astimezone(tz)
    at = datetime.combine(local.date(), step.wait_time or time(9), tzinfo=tz)
    while at <= target or (step.wait_weekday is not None and at.weekday() != step.wait_weekday):
        at = datetime.combine(at.date() + timedelta(days=1), step.wait_time or time(9), tzinfo=tz)
    return at


def _wait(item, step, run):
    contact, lead = (item.contact, None) if item.contact_id else (None, item.lead)
    until = wait_until(step, now=run.now, tz=person_time_zone(contact=contact, lead=lead))
    enrolment.event(item, Event.STEP, position=step.position, detail=f"wait {until.isoformat()}")
    following = run.next_position(step)
    if following is None:
        return _advance(item, run, None)
    item.next_position, item.next_run_at = following, until
    return False


def _task(item, step, run):
    person = _person(item)
    owner = person.owner if person.owner_id else item.sequence.owner
    target = {"lead": item.lead} if item.lead_id else {}
    if item.contact_id:
        deal = Deal.objects.filter(contact_id=item.contact_id, status=Deal.Status.OPEN).order_by("-created_at").first()
        if deal is not None:
            target = {"deal": deal}
        else:
            lead = item.contact.leads.exclude(status="converted").order_by("-created_at").first()
            target = {"lead": lead} if lead is not None else {}
    if not target:
        enrolment.event(item, Event.SKIPPED, position=step.position, detail="no open deal or lead for the task")
        return _advance(item, run, run.next_position(step))
    activity_services.activity_create(
        actor=owner,
        kind=ActivityKind.TASK,
        subject=step.task_subject,
        due_at=run.now + timedelta(days=step.task_due_days),
        assignee=owner,
        **target,
    )
    enrolment.event(item, Event.STEP, position=step.position, detail=step.task_subject)
    return _advance(item, run, run.next_position(step))


def _branch(item, step, run):
    holds = conditions.branch_holds(item, step.condition)
    enrolment.event(item, Event.STEP, position=step.position, detail=f"{step.condition}: {'yes' if holds else 'no'}")
    return _advance(item, run, step.then_position if holds else step.else_position)
