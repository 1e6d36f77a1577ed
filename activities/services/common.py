"""Helpers shared by the activity services: the domain error, time formatting, links in e-mails
and telling the board that a deal or lead changed."""

from django.conf import settings
from django.utils import formats, timezone

from accounts import localization
from deals.models import Deal
from leads.models import Lead


class ActivityError(Exception):
    """A domain error with a message for the user."""


# --- helpers --------------------------------------------------------------------------------


# The user's zone (else the installation's); kept under this name for the apps that import it from activities.services.
user_time_zone = localization.user_time_zone


def format_datetime(value, tz):
    with timezone.override(tz):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def absolute_url(path):
    return settings.CRM_BASE_URL.rstrip("/") + path


def touch_parent(*, deal_id, lead_id, touched_at=None):
    """Tell the board (and the lead list) that an activity changed.

    `updated_at` feeds the board's change-polling ETag; `touched_at` (when given) is a
    real contact with the customer and resets rotting.
    """
    now = timezone.now()
    if deal_id:
        fields = {"updated_at": now}
        if touched_at is not None:
            fields["last_activity_at"] = touched_at
        Deal.objects.filter(pk=deal_id).update(**fields)
    if lead_id:
        fields = {"updated_at": now}
        if touched_at is not None:
            fields["last_touch_at"] = touched_at
        Lead.objects.filter(pk=lead_id).update(**fields)
