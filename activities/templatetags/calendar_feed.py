"""The address of a user's calendar feed, for the preferences page's "Calendar feed" block."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def calendar_feed_url(user):
    """The full address to subscribe to (empty when the user has no feed)."""
    if not user.calendar_token:
        return ""
    return settings.CRM_BASE_URL.rstrip("/") + reverse("activities:calendar_feed_ics", args=[user.calendar_token])
