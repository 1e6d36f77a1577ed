"""Reminders: claim the due ones with a conditional UPDATE, queue their notification and e-mail."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import localization
from accounts.models import User
from activities import selectors
from activities.models import Activity, Notification, OutgoingEmail
from activities.services import common, outbox
from events.models import EventType
from events.services import event_emit_many

# A reminder whose due time passed longer ago than this is not sent any more (the
# digest and "My activities" list it as overdue instead).
REMINDER_STALE_AFTER = timedelta(hours=24)


def _reminder_due_q(now):
    """Activities whose reminder time has come: due minus the activity's own reminder time
    (`remind_before_minutes`), else minus the assignee's lead time.

    One query for the distinct lead times of the users (few), then one condition per lead
    time inside a single SQL statement: the database picks the rows, never a Python loop over
    activities. The outer bound on `due_at` lets the partial index activity_reminder_pending
    (open, not yet reminded, by due time) serve the whole scan.
    """
    own_minutes = [choice.value for choice in Activity.RemindBefore]
    user_minutes = list(User.objects.order_by().values_list("reminder_lead_minutes", flat=True).distinct())
    due = Q(pk__in=[])
    for minutes in own_minutes:
        due |= Q(remind_before_minutes=minutes, due_at__lte=now + timedelta(minutes=minutes))
    for minutes in user_minutes:
        due |= Q(
            remind_before_minutes__isnull=True,
            assignee__reminder_lead_minutes=minutes,
            due_at__lte=now + timedelta(minutes=minutes),
        )
    horizon = now + timedelta(minutes=max([*own_minutes, *user_minutes]))
    return (
        Q(
            done_at__isnull=True,
            reminder_sent_at__isnull=True,
            all_day=False,
            due_at__gte=now - REMINDER_STALE_AFTER,
            due_at__lte=horizon,
        )
        & due
    )


def _reminder_content(activity):
    tz = common.user_time_zone(activity.assignee)
    target = activity.deal.title if activity.deal_id else str(activity.lead)
    when = common.format_datetime(activity.due_at, tz)
    message = _("Reminder: %(subject)s at %(time)s (%(target)s)") % {
        "subject": activity.subject,
        "time": when,
        "target": target,
    }
    body = "\n".join(
        [
            message,
            "",
            f"{activity.get_kind_display()}: {activity.subject}",
            activity.note,
            "",
            common.absolute_url(selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id)),
            common.absolute_url(reverse("activities:list")),
        ]
    )
    return message[:300], body


class _LostRace(Exception):
    """Another run claimed part of a batch between our SELECT and our UPDATE."""


def _reminder_claim_one(activity_id, now):
    """Claim one reminder: True when this conditional UPDATE changed the row (row count 1)."""
    return (
        Activity.objects.filter(pk=activity_id, reminder_sent_at__isnull=True, done_at__isnull=True).update(
            reminder_sent_at=now
        )
        == 1
    )


def _reminders_queue(activities, now):
    """The notification and the outbox e-mail of claimed reminders (inside the claim's transaction)."""
    notifications, emails = [], []
    for activity in activities:
        with translation.override(localization.user_language(activity.assignee)):
            message, body = _reminder_content(activity)
        key = f"reminder:{activity.pk}:{int(activity.due_at.timestamp())}"
        notifications.append(
            Notification(
                user=activity.assignee,
                kind=Notification.Kind.REMINDER,
                dedupe_key=key,
                message=message,
                activity=activity,
                deal_id=activity.deal_id,
                lead_id=activity.lead_id,
                created_at=now,
            )
        )
        if activity.assignee.email:
            emails.append(
                OutgoingEmail(
                    key=key,
                    user=activity.assignee,
                    to=activity.assignee.email,
                    subject=message,
                    body=body,
                    created_at=now,
                )
            )
    Notification.objects.bulk_create(notifications)
    OutgoingEmail.objects.bulk_create(emails)
    # One "activity.due" per activity and due time: the reminder is claimed exactly once.
    event_emit_many(
        EventType.ACTIVITY_DUE,
        subject_type="activity",
        subject_ids=[activity.pk for activity in activities],
        data_by_id={
            activity.pk: {
                "due_at": activity.due_at.isoformat(),
                "deal_id": activity.deal_id,
                "lead_id": activity.lead_id,
            }
            for activity in activities
        },
    )
    return len(notifications)


def reminders_claim_due(*, now=None, batch_size=200):
    """Claim the due reminders and queue their notification and e-mail, exactly once.

    One transaction per batch: rows are locked with SKIP LOCKED (PostgreSQL) so that a
    concurrent run takes other rows, then claimed with a conditional
    UPDATE … WHERE reminder_sent_at IS NULL AND done_at IS NULL whose row count must match
    the batch (the rows are locked; on SQLite the transaction holds the write lock). Should
    it not, the batch is rolled back and claimed row by row, each row going to the run
    whose UPDATE changed it. The notification and the outbox row are written in the same
    transaction as the claim, so a crash either loses the claim too (the next run retries)
    or keeps all three.
    """
    now = now or timezone.now()
    claimed = 0
    pending = Activity.objects.filter(reminder_sent_at__isnull=True, done_at__isnull=True)
    while True:
        batch = []
        try:
            with transaction.atomic():
                batch = list(
                    Activity.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(_reminder_due_q(now))
                    .select_related("assignee", "deal", "lead")
                    .order_by("due_at", "id")[:batch_size]
                )
                if not batch:
                    return claimed
                if pending.filter(pk__in=[a.pk for a in batch]).update(reminder_sent_at=now) != len(batch):
                    raise _LostRace
                claimed += _reminders_queue(batch, now)
        except _LostRace:
            with transaction.atomic():
                claimed += _reminders_queue([a for a in batch if _reminder_claim_one(a.pk, now)], now)
        if len(batch) < batch_size:
            return claimed


def reminders_run(*, now=None):
    """The every-minute service: claim due reminders, then deliver the outbox."""
    claimed = reminders_claim_due(now=now)
    sent = outbox.email_deliver_pending(now=now)
    return {"claimed": claimed, "sent": sent}


# --- the daily digest -----------------------------------------------------------------------
