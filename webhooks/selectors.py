"""Reads of webhook subscriptions and their delivery log, scoped to the caller.

A subscription is personal: its owner manages it, and an admin manages everyone's (the
admin keeps the installation's integrations and may allow a private target). Nobody else
learns that it exists: 404, as for a record outside one's scope (DESIGN §5).
"""

from django.db.models import OuterRef, Subquery
from django.http import Http404

from accounts import scoping
from webhooks.models import Attempt, Delivery, Subscription


def subscription_list_for_user(*, user):
    """The user's own subscriptions; an admin's list holds everyone's. Newest first."""
    queryset = Subscription.objects.select_related("owner")
    if not scoping.is_admin(user):
        queryset = queryset.filter(owner=user)
    return queryset


def subscription_get_for_user(*, user, subscription_id):
    """A subscription the user manages (their own; any, for an admin), else 404."""
    try:
        return subscription_list_for_user(user=user).get(pk=subscription_id)
    except (Subscription.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such webhook subscription.") from None


def subscription_status(subscription):
    """ "active", "failing" (deliveries fail, not yet for 24 hours) or "disabled"."""
    if not subscription.is_active:
        return "disabled"
    if subscription.failing_since is not None:
        return "failing"
    return "active"


def delivery_log(*, subscription):
    """The subscription's deliveries, newest first, each with its event and the outcome of its
    latest attempt (`last_status_code`, `last_response_ms`, `last_error`) as subqueries, so a
    page of the log is one query whatever its length."""
    latest = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-at", "-id")
    return (
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .annotate(
            last_status_code=Subquery(latest.values("status_code")[:1]),
            last_response_ms=Subquery(latest.values("response_ms")[:1]),
            last_error=Subquery(latest.values("error")[:1]),
        )
        .order_by("-created_at", "-id")
    )
