"""Demo activities on deals and leads, and the reminder notifications that already went out."""

from datetime import timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext

from activities.models import Activity, Kind, Notification

BATCH = 5000


def seed_activities(*, rng, now, deals, leads):
    """Open and done activities on the deals and open leads, and the reminders that already went
    out as notifications; returns how many activities were written."""
    activities = []
    subjects = {
        Kind.CALL: gettext("Call about next steps"),
        Kind.EMAIL: gettext("Send the proposal"),
        Kind.MEETING: gettext("Demo meeting"),
        Kind.TASK: gettext("Prepare the offer"),
        Kind.FOLLOW_UP: gettext("Follow up"),
    }
    for deal in deals:
        if deal.status != "open" and rng.random() < 0.7:
            continue
        kind = rng.choice(Kind.values)
        due = now + timedelta(hours=rng.uniform(-24 * 10, 24 * 21))
        done = due < now and rng.random() < 0.5
        activities.append(
            Activity(
                kind=kind,
                subject=subjects[kind],
                due_at=due,
                done_at=due if done else None,
                assignee_id=deal.owner_id,
                deal=deal,
                # Demo history: reminders of the past already went out.
                reminder_sent_at=due - timedelta(minutes=15) if due < now + timedelta(minutes=30) else None,
                created_by_id=deal.owner_id,
                created_at=deal.created_at,
            )
        )
    for lead in leads:
        if lead.status in ("new", "contacted", "nurturing") and rng.random() < 0.6:
            due = now + timedelta(hours=rng.uniform(-24 * 5, 24 * 14))
            activities.append(
                Activity(
                    kind=Kind.CALL,
                    subject=gettext("Qualification call"),
                    due_at=due,
                    assignee_id=lead.owner_id,
                    lead=lead,
                    reminder_sent_at=due - timedelta(minutes=15) if due < now + timedelta(minutes=30) else None,
                    created_by_id=lead.owner_id,
                    created_at=lead.created_at,
                )
            )
    activities = Activity.objects.bulk_create(activities, batch_size=BATCH)
    _notifications(activities)
    return len(activities)


def _notifications(activities):
    """The reminders that already went out, as notifications: the latest three per user,
    the newest two still unread, so the demo's bell has something to show."""
    sent = sorted(
        (a for a in activities if a.reminder_sent_at and a.deal_id and not a.done_at),
        key=lambda a: a.reminder_sent_at,
        reverse=True,
    )
    per_user = {}
    for activity in sent:
        per_user.setdefault(activity.assignee_id, [])
        if len(per_user[activity.assignee_id]) < 3:
            per_user[activity.assignee_id].append(activity)
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=Notification.Kind.REMINDER,
                message=gettext("Reminder: %(subject)s at %(time)s (%(target)s)")
                % {
                    "subject": activity.subject,
                    "time": formats.date_format(timezone.localtime(activity.due_at), "DATETIME_FORMAT"),
                    "target": activity.deal.title,
                },
                deal_id=activity.deal_id,
                activity=activity,
                created_at=activity.reminder_sent_at,
                read_at=None if index < 2 else activity.reminder_sent_at,
            )
            for user_id, latest in per_user.items()
            for index, activity in enumerate(latest)
        ],
        batch_size=BATCH,
    )
