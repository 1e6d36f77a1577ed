"""The activity calendar: the events of a date range, rescheduling by drag and drop, and the
secret key of the user's calendar feed (the feed itself: `activities/ics.py`).

Times are shown in the viewer's time zone (`services.user_time_zone`). The calendar page sends
and receives wall-clock times of that zone without an offset ("2026-03-02T09:30:00"); this
module turns them into aware datetimes, so a daylight-saving change is handled here, once.
"""

import secrets
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import User
from activities import selectors, services
from activities.models import Activity

MINE, TEAM = "mine", "team"
# A request may ask for at most this many days (a month view shows six weeks).
MAX_RANGE_DAYS = 62
# Bounded whatever the size of the team; a week or a month of one team stays far below it.
MAX_EVENTS = 2000


class CalendarError(Exception):
    """Bad input from the calendar page, with a message for the user (answered with 400)."""


class StaleActivity(CalendarError):
    """The activity changed since the calendar loaded it (answered with 409)."""


def _local_day_start(day, tz):
    return datetime.combine(day, time.min, tzinfo=tz)


def activity_day(activity, tz):
    """The day of an all-day activity: its due time is the start of its day in the zone it was
    planned in; read at noon of that day, the date is the same in every zone within ±12 hours."""
    return timezone.localtime(activity.due_at + timedelta(hours=12), tz).date()


def parse_wall_clock(value, tz):
    """A date ("2026-03-02") or a wall-clock time without offset in `tz`; with an offset, it is
    converted. Returns (aware datetime, is_date) or raises CalendarError."""
    value = (value or "").strip()
    try:
        parsed = parse_datetime(value) if "T" in value else None
        day = parse_date(value) if "T" not in value else None
    except ValueError:
        parsed = day = None
    if parsed is not None:
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=tz)
        return parsed.astimezone(tz), False
    if day is not None:
        return _local_day_start(day, tz), True
    raise CalendarError(_("“%(value)s” is not a date or time.") % {"value": value[:40]})


def calendar_range(*, start, end, tz):
    """The range the calendar asks for, checked: both given, start before end, not too long."""
    start_at, _is_date = parse_wall_clock(start, tz)
    end_at, _is_date = parse_wall_clock(end, tz)
    if end_at <= start_at:
        raise CalendarError(_("The end of the range must come after its start."))
    if end_at - start_at > timedelta(days=MAX_RANGE_DAYS):
        raise CalendarError(_("Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS})
    return start_at, end_at


def _can_change_expression(user):
    """`selectors.activity_can_change` in SQL: the assignee, or who may change the deal or lead."""
    if scoping.is_admin(user):
        return Value(True)
    return Case(
        When(
            Q(assignee_id=user.pk)
            | (Q(deal__isnull=False) & scoping.changeable_owner_q(user, "deal__owner"))
            | (Q(lead__isnull=False) & scoping.changeable_owner_q(user, "lead__owner")),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def calendar_activities(*, user, scope, start, end):
    """The dated activities due in [start, end) that the calendar shows, one query.

    "mine": assigned to the user. "team": every activity the user sees (`activity_visible_q`:
    a rep their own and their team's deals and leads, a manager the teams they manage, an admin
    all). Each row carries `can_change` (assignee, or may change the deal or lead) computed in
    SQL, so no event needs a query or a lookup of its own. An all-day activity due at the start
    of the range's first day is included (it starts at the local midnight).
    """
    queryset = Activity.objects.filter(due_at__isnull=False, due_at__gte=start - timedelta(hours=12), due_at__lt=end)
    scoped = selectors.activity_visible_q(user) if scope == TEAM else Q(assignee=user)
    queryset = queryset.filter(scoped)
    rows = (
        queryset.annotate(can_change=_can_change_expression(user))
        .select_related("assignee", "deal", "lead")
        .order_by("due_at", "id")
        .fetch_mode(models.FETCH_RAISE)[:MAX_EVENTS]
    )
    # The 12 hours before the range only catch all-day activities planned in another zone.
    return [a for a in rows if a.due_at >= start or a.all_day]


def activity_version(activity):
    """The optimistic-locking token of an activity: its last change, to the microsecond."""
    return activity.updated_at.isoformat()


def calendar_event(activity, *, tz, scope, now):
    """One event of the calendar page (FullCalendar's event object)."""
    title = activity.subject
    if scope == TEAM:
        title = f"{activity.subject} · {activity.assignee}"
    classes = [f"activity-kind-{activity.kind}"]
    if activity.done_at is not None:
        classes.append("is-done")
    elif (activity.all_day and activity_day(activity, tz) < timezone.localtime(now, tz).date()) or (
        not activity.all_day and activity.due_at < now
    ):
        classes.append("is-overdue")
    if activity.all_day:
        start = activity_day(activity, tz).isoformat()
    else:
        start = timezone.localtime(activity.due_at, tz).replace(tzinfo=None).isoformat(timespec="seconds")
    editable = bool(activity.can_change) and activity.done_at is None
    return {
        "id": str(activity.pk),
        "title": title,
        "start": start,
        "allDay": activity.all_day,
        "url": selectors.parent_url(deal_id=activity.deal_id, lead_id=activity.lead_id),
        "classNames": classes,
        "editable": editable,
        "extendedProps": {
            "kind": activity.get_kind_display(),
            "parent": activity.deal.title if activity.deal_id else str(activity.lead),
            "done": activity.done_at is not None,
            "version": activity_version(activity),
        },
    }


@transaction.atomic
def locked_at_version(activity_id, version, message):
    """The activity under its row lock, if it is still at `version` (its last change, as the
    calendar and the API read it; None: no check); StaleActivity with `message` otherwise."""
    locked = Activity.objects.select_for_update().get(pk=activity_id)
    if version is not None and version != activity_version(locked):
        error = StaleActivity(message)
        error.activity_id = locked.pk
        raise error
    return locked


@transaction.atomic
def activity_update_at_version(*, activity_id, actor, version, **fields):
    """`services.activity_update` once the activity is found still at `version`."""
    locked_at_version(activity_id, version, _("Someone changed this activity in the meantime."))
    return services.activity_update(activity_id=activity_id, actor=actor, **fields)


def activity_reschedule(*, user, activity_id, start, all_day=None, version=None):
    """Move an activity to a new day or time (the calendar's drag and drop).

    `start` is a date (all-day) or a wall-clock time in the user's zone. Out of the user's
    scope → Http404; visible but not theirs to change → PermissionDenied; a done or undated
    activity, or bad input → CalendarError; `version` given and not the activity's last
    change → StaleActivity. The write is `activity_update`'s: the reminder is re-armed, the
    board hears of it, and the audit trail records it like any other edit.
    """
    activity = selectors.activity_get_for_user(user=user, activity_id=activity_id)
    if not selectors.activity_can_change(user=user, activity=activity):
        raise PermissionDenied
    locked = locked_at_version(
        activity.pk, version, _("Someone changed this activity in the meantime. The calendar was reloaded.")
    )
    if locked.done_at is not None:
        raise CalendarError(_("A done activity keeps its date; reopen it first."))
    tz = services.user_time_zone(user)
    due_at, is_date = parse_wall_clock(start, tz)
    if all_day is None:
        all_day = is_date
    if all_day and not is_date:
        due_at = _local_day_start(due_at.date(), tz)
    return services.activity_update(activity_id=locked.pk, actor=user, due_at=due_at, all_day=all_day)


def calendar_feed_token_new(user_pk):
    """The key of a feed address: the user's id (to find the row by its primary key) and 256
    random bits; the whole key is then compared in constant time (`ics.feed_user`)."""
    return f"{user_pk}-{secrets.token_urlsafe(32)}"


@transaction.atomic
def calendar_feed_regenerate(*, user):
    """Create the feed address, or replace it: the old address answers 404 from now on."""
    token = calendar_feed_token_new(user.pk)
    User.objects.filter(pk=user.pk).update(calendar_token=token)
    user.calendar_token = token
    return token


@transaction.atomic
def calendar_feed_revoke(*, user):
    """No feed any more: every address of it answers 404."""
    User.objects.filter(pk=user.pk).update(calendar_token="")
    user.calendar_token = ""


def calendar_activities_one(*, user, activity_id):
    """One activity as the calendar shows it (with `can_change`), after a reschedule."""
    queryset = Activity.objects.filter(pk=activity_id).filter(selectors.activity_visible_q(user))
    return queryset.annotate(can_change=_can_change_expression(user)).select_related("assignee", "deal", "lead").get()
