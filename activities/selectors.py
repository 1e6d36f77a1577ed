"""Reads of activities and notifications, always scoped to the user (DESIGN §5)."""

from datetime import datetime, time, timedelta

from django.db import models
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import scoping
from activities.filters import ActivityFilter
from activities.models import Activity, Notification

SECTION_LIMITS = {"overdue": 50, "today": 100, "upcoming": 50, "done": 20}


def activity_visible_q(user):
    """An activity is visible to its assignee and to whoever sees its deal or lead."""
    if scoping.is_admin(user):
        return Q()
    return (
        Q(assignee_id=user.pk)
        | (Q(deal__isnull=False) & scoping.visible_owner_q(user, "deal__owner"))
        | (Q(lead__isnull=False) & scoping.visible_owner_q(user, "lead__owner"))
    )


def activity_list_for_user(*, user):
    return Activity.objects.filter(activity_visible_q(user)).select_related("assignee", "deal", "lead")


def activity_get_for_user(*, user, activity_id):
    """One visible activity, or Http404 (its existence is not revealed)."""
    try:
        return activity_list_for_user(user=user).select_related("deal__owner", "lead__owner").get(pk=activity_id)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("No such activity.") from None


def activity_can_change(*, user, activity):
    """The assignee and whoever may change the deal or lead may edit, reschedule and complete."""
    if activity.assignee_id == user.pk:
        return True
    parent = activity.deal if activity.deal_id else activity.lead
    return scoping.can_change_owned(user, parent.owner)


def _local_day_bounds(now):
    day = timezone.localtime(now).date()
    start = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def my_activities(*, user, data=None, now=None):
    """The sections of "My activities": overdue, today, upcoming, done (recent first).

    Four queries, one per section, each bounded; the filter's owner choices are one more
    when the form renders. Without an owner filter the list is the user's own (assignee).
    """
    now = now or timezone.now()
    base = activity_list_for_user(user=user).select_related("deal__owner", "lead__owner")
    filterset = ActivityFilter(data or None, queryset=base, user=user)
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset
    if not (filterset.is_valid() and filterset.form.cleaned_data.get("owner") and filterset.owner_filter_enabled):
        queryset = queryset.filter(assignee=user)
    start, end = _local_day_bounds(now)
    open_ = queryset.filter(done_at__isnull=True)
    sections = {
        "overdue": open_.filter(due_at__lt=start).order_by("due_at", "id"),
        "today": open_.filter(due_at__gte=start, due_at__lt=end).order_by("due_at", "id"),
        "upcoming": open_.filter(Q(due_at__gte=end) | Q(due_at__isnull=True)).order_by("due_at", "id"),
        "done": queryset.filter(done_at__isnull=False).order_by("-done_at", "-id"),
    }
    # FETCH_RAISE: a lazy load in a template or in the permission check fails in tests.
    return filterset, {
        name: list(qs.fetch_mode(models.FETCH_RAISE)[: SECTION_LIMITS[name]]) for name, qs in sections.items()
    }


def activities_of_deal(*, deal):
    """A deal's activities: open ones by due time, then the done ones (newest first)."""
    return _of_parent(Activity.objects.filter(deal=deal))


def activities_of_lead(*, lead):
    return _of_parent(Activity.objects.filter(lead=lead))


def _of_parent(queryset):
    rows = list(queryset.select_related("assignee").order_by("due_at", "id").fetch_mode(models.FETCH_RAISE))
    return [a for a in rows if a.done_at is None] + sorted(
        (a for a in rows if a.done_at is not None), key=lambda a: a.done_at, reverse=True
    )


def parent_url(*, deal_id=None, lead_id=None):
    """The page of a deal or a lead (the lead list while the lead page does not exist)."""
    if deal_id:
        return reverse("deals:detail", args=[deal_id])
    try:
        return reverse("leads:detail", args=[lead_id])
    except NoReverseMatch:
        return reverse("leads:list")


def notification_list_for_user(*, user, limit=100):
    """The user's notifications, newest first, each with the URL it links to (one query)."""
    notifications = list(
        Notification.objects.filter(user=user).order_by("-created_at", "-id").fetch_mode(models.FETCH_RAISE)[:limit]
    )
    for notification in notifications:
        notification.target_url = notification_target_url(notification)
    return notifications


def notification_target_url(notification):
    """Where a notification leads: its deal or lead, else its link when that is a path of this site
    (a conversion alert opens the dashboard); None when it leads nowhere."""
    if notification.deal_id or notification.lead_id:
        return parent_url(deal_id=notification.deal_id, lead_id=notification.lead_id)
    link = notification.link
    if link and link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


def notification_get_for_user(*, user, notification_id):
    try:
        return Notification.objects.get(pk=notification_id, user=user)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404("No such notification.") from None


def notification_unread_count(*, user):
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
