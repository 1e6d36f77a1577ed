"""The daily digest of open activities per user, sent once per local day."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts import localization
from accounts.models import User
from activities.models import Activity, DigestLog, OutgoingEmail
from activities.services import common, outbox


def _digest_activities(user, day_start, day_end):
    """The user's open activities that are overdue or due that local day."""
    return list(
        Activity.objects.filter(assignee=user, done_at__isnull=True, due_at__lt=day_end)
        .select_related("deal", "lead")
        .order_by("due_at", "id")[:200]
    )


def _digest_content(user, day, items, day_start, tz):
    overdue = [a for a in items if a.due_at < day_start]
    today = [a for a in items if a.due_at >= day_start]
    subject = _("Your activities for %(date)s: %(today)s today, %(overdue)s overdue") % {
        "date": formats.date_format(day, "SHORT_DATE_FORMAT"),
        "today": len(today),
        "overdue": len(overdue),
    }
    lines = []
    for title, group in ((_("Overdue"), overdue), (_("Today"), today)):
        if not group:
            continue
        lines += [title, "-" * len(title)]
        for a in group:
            target = a.deal.title if a.deal_id else str(a.lead)
            when = _("all day") if a.all_day else common.format_datetime(a.due_at, tz)
            lines.append(f"- {when}: {a.get_kind_display()} · {a.subject} ({target})")
        lines.append("")
    lines.append(common.absolute_url(reverse("activities:list")))
    return subject[:300], "\n".join(lines)


def _digest_days_handled(user_ids, around):
    """{(user_id, date)} of the digests already handled around a date (one query)."""
    rows = DigestLog.objects.filter(date__gte=around - timedelta(days=1), date__lte=around + timedelta(days=1))
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    return set(rows.order_by().values_list("user_id", "date"))


def digest_queue_for_user(*, user, now=None, handled=None):
    """Queue the user's digest for their local today if its hour has come; at most once per day.

    The unique (user, date) log row and the outbox row are written together.
    Returns True when this call handled the day (queued or found nothing to send).
    """
    now = now or timezone.now()
    tz = common.user_time_zone(user)
    local_now = now.astimezone(tz)
    if not user.digest_enabled or not user.email or local_now.hour < user.digest_hour:
        return False
    day = local_now.date()
    day_start = datetime.combine(day, time.min, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    if (user.pk, day) in (handled if handled is not None else _digest_days_handled([user.pk], day)):
        return False
    items = _digest_activities(user, day_start, day_end)
    try:
        with transaction.atomic():
            DigestLog.objects.create(user=user, date=day, activity_count=len(items), created_at=now)
            if items:
                with translation.override(localization.user_language(user)):
                    subject, body = _digest_content(user, day, items, day_start, tz)
                OutgoingEmail.objects.create(
                    key=f"digest:{user.pk}:{day.isoformat()}",
                    user=user,
                    to=user.email,
                    subject=subject,
                    body=body,
                    created_at=now,
                )
    except IntegrityError:
        return False  # another run handled this day first
    return True


def digests_run(*, now=None):
    """The periodic digest service: every user whose digest hour has come, then the outbox."""
    now = now or timezone.now()
    queued = 0
    users = list(User.objects.filter(is_active=True, digest_enabled=True).exclude(email=""))
    # Users' local dates are within a day of the UTC date: one query finds the days handled.
    handled = _digest_days_handled(None, now.astimezone(ZoneInfo("UTC")).date())
    for user in users:
        queued += digest_queue_for_user(user=user, now=now, handled=handled)
    sent = outbox.email_deliver_pending(now=now)
    return {"queued": queued, "sent": sent}


# --- follow-up rules ------------------------------------------------------------------------
