"""Reads of leads, always scoped to the user (DESIGN §5)."""

from django.http import Http404

from accounts import scoping
from leads.models import Lead


def lead_list_for_user(*, user):
    return Lead.objects.filter(scoping.visible_owner_q(user)).select_related("owner", "organization", "persona")


def lead_get_for_user(*, user, lead_id):
    try:
        return lead_list_for_user(user=user).get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lead.") from None
