"""Writes of single activities (create, edit, complete, reopen, log a done one) and of notifications."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.models import Activity, Kind, Notification
from activities.services import common


@transaction.atomic
def activity_create(
    *,
    actor,
    kind,
    subject,
    due_at=None,
    all_day=False,
    note="",
    assignee=None,
    deal=None,
    lead=None,
    remind_before_minutes=None,
):
    """Plan an activity on a deal or a lead; planning counts as a touch of the customer.

    `remind_before_minutes` (15, 60, 1440) overrides the assignee's reminder lead time."""
    if (deal is None) == (lead is None):
        raise common.ActivityError(_("An activity belongs to exactly one deal or one lead."))
    activity = Activity.objects.create(
        kind=kind,
        subject=subject,
        note=note,
        due_at=due_at,
        all_day=all_day,
        assignee=assignee or actor,
        deal=deal,
        lead=lead,
        remind_before_minutes=remind_before_minutes,
        created_by=actor,
    )
    common.touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=activity.created_at)
    return activity


@transaction.atomic
def activity_update(*, activity_id, actor, **fields):
    """Edit an activity. A new due time (a reschedule), assignee or reminder time re-arms its reminder."""
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    allowed = {"kind", "subject", "note", "due_at", "all_day", "assignee", "remind_before_minutes"}
    unknown = set(fields) - allowed
    if unknown:
        raise common.ActivityError(f"Unknown fields: {sorted(unknown)}")
    rearm = any(
        name in fields and fields[name] != getattr(activity, name) for name in ("due_at", "remind_before_minutes")
    )
    for name, value in fields.items():
        setattr(activity, name, value)
    if rearm or "assignee" in fields:
        activity.reminder_sent_at = None
    activity.save()
    common.touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id)
    return activity


def activity_postpone_to_tomorrow(*, activity_id, actor):
    """Reschedule to tomorrow (local date) at the same time of day; re-arms the reminder."""
    activity = Activity.objects.get(pk=activity_id)
    due = timezone.localtime(activity.due_at) if activity.due_at else timezone.localtime().replace(hour=9, minute=0)
    tomorrow = timezone.localdate() + timedelta(days=1)
    # The same wall-clock time, also across a daylight-saving change.
    new_due = timezone.make_aware(datetime.combine(tomorrow, due.time().replace(second=0, microsecond=0)))
    return activity_update(activity_id=activity_id, actor=actor, due_at=new_due)


@transaction.atomic
def activity_complete(*, activity_id, actor):
    """Mark done (idempotent: a second click keeps the first done time)."""
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    if activity.done_at is None:
        activity.done_at = timezone.now()
        activity.save(update_fields=["done_at", "updated_at"])
        common.touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=activity.done_at)
    return activity


@transaction.atomic
def activity_reopen(*, activity_id, actor):
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    if activity.done_at is not None:
        activity.done_at = None
        activity.save(update_fields=["done_at", "updated_at"])
        common.touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id)
    return activity


@transaction.atomic
def activity_log_done(
    *,
    actor,
    kind,
    subject,
    outcome="",
    note="",
    assignee=None,
    deal=None,
    lead=None,
    next_subject="",
    next_due_at=None,
    next_all_day=False,
):
    """Log a call or meeting that just happened, in one step: the done activity with its outcome
    and, when a next step is given, the follow-up activity — both or neither (one transaction).
    Returns (done activity, follow-up or None)."""
    if (deal is None) == (lead is None):
        raise common.ActivityError(_("An activity belongs to exactly one deal or one lead."))
    if bool(next_subject) != (next_due_at is not None):
        raise common.ActivityError(_("A next step needs both its subject and its due date."))
    now = timezone.now()
    activity = Activity.objects.create(
        kind=kind,
        subject=subject,
        note=note,
        outcome=outcome,
        due_at=now,
        done_at=now,
        assignee=assignee or actor,
        deal=deal,
        lead=lead,
        created_by=actor,
    )
    common.touch_parent(deal_id=activity.deal_id, lead_id=activity.lead_id, touched_at=now)
    follow_up = None
    if next_subject:
        follow_up = activity_create(
            actor=actor,
            kind=Kind.FOLLOW_UP,
            subject=next_subject,
            due_at=next_due_at,
            all_day=next_all_day,
            assignee=activity.assignee,
            deal=deal,
            lead=lead,
        )
    return activity, follow_up


# --- notifications --------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id):
    """Mark one of the user's notifications read; another user's is not found."""
    updated = Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return updated


def notification_mark_all_read(*, user):
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
