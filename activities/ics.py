"""The user's calendar feed (iCalendar, RFC 5545) at /calendar/<key>.ics, without a login.

The key (`User.calendar_token`) is "<user id>-<256 random bits>": the row is read by its
primary key and the whole key compared in constant time, so neither the database lookup nor
the comparison tells a guesser how much of a key was right. No key (revoked) → 404.
"""

import hmac
from datetime import UTC, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from accounts.models import User
from activities import calendar, selectors, services
from activities.models import Activity

# What the feed lists: open activities due from this long ago (overdue ones stay visible) ...
PAST = timedelta(days=30)
# ... up to this far ahead, and the ones done within PAST.
AHEAD = timedelta(days=365)
MAX_EVENTS = 2000


def feed_user(token):
    """The active user whose feed key this is, or None."""
    user_pk, sep, _secret = (token or "").partition("-")
    if not sep or not user_pk.isdigit():
        return None
    user = User.objects.filter(pk=int(user_pk), is_active=True).first()
    if user is None or not user.calendar_token:
        return None
    if not hmac.compare_digest(user.calendar_token.encode(), token.encode()):
        return None
    return user


def feed_activities(*, user, now):
    """The user's (assignee's) dated activities: open ones due within [now − PAST, now + AHEAD],
    done ones done within PAST. One query."""
    return list(
        Activity.objects.filter(assignee=user, due_at__isnull=False, due_at__lt=now + AHEAD)
        .filter(Q(done_at__isnull=True, due_at__gte=now - PAST) | Q(done_at__gte=now - PAST))
        .select_related("deal", "lead")
        .order_by("due_at", "id")
        .fetch_mode(models.FETCH_RAISE)[:MAX_EVENTS]
    )


def _uid(activity):
    host = settings.CRM_BASE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "pipeline-crm"
    return f"activity-{activity.pk}@{host}"


def feed_calendar(*, user, now=None):
    """The feed as bytes. Timed activities are written in UTC (…Z, which every client reads
    the same way), all-day ones as DATE values of the user's time zone, lasting one day."""
    now = now or timezone.now()
    tz = services.user_time_zone(user)
    cal = Calendar()
    cal.add("prodid", "-//Pipeline CRM//Activities//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", _("Pipeline CRM activities of %(user)s") % {"user": user})
    cal.add("x-wr-timezone", str(tz))
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for activity in feed_activities(user=user, now=now):
        event = Event()
        event.add("uid", _uid(activity))
        event.add("dtstamp", stamp)
        event.add("last-modified", activity.updated_at.astimezone(UTC).replace(microsecond=0))
        summary = (
            activity.subject if activity.done_at is None else _("Done: %(subject)s") % {"subject": activity.subject}
        )
        event.add("summary", summary)
        parent = activity.deal.title if activity.deal_id else str(activity.lead)
        link = services.absolute_url(selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id))
        lines = [f"{activity.get_kind_display()} · {parent}", link]
        if activity.outcome:
            lines.append(_("Outcome: %(outcome)s") % {"outcome": activity.get_outcome_display()})
        if activity.note:
            lines.append(activity.note)
        event.add("description", "\n".join(lines))
        event.add("url", link)
        event.add("categories", [activity.get_kind_display()])
        if activity.all_day:
            day = calendar.activity_day(activity, tz)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
        else:
            start = activity.due_at.astimezone(UTC).replace(microsecond=0)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=30))
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT" if activity.all_day else "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
