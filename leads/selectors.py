"""Reads of leads, always scoped to the user (DESIGN §5).

Leads follow the deal rules: a rep sees their own and their team's, a manager those of
the teams they manage, an admin all. Unassigned leads (e.g. from the web form when no
owner is configured) are visible to managers and admins, who hand them out.
"""

from django.db import models
from django.db.models import Q
from django.http import Http404

from accounts import scoping
from accounts.models import User
from leads import filters
from leads.models import Lead, LeadImport, LeadStatusChange, ScoringSettings


def _lead_scope_q(user):
    q = scoping.visible_owner_q(user)
    if user.is_authenticated and not scoping.is_admin(user) and user.role == User.Role.MANAGER:
        q |= Q(owner__isnull=True)
    return q


def lead_list_for_user(*, user):
    """The leads `user` may see, with the relations a row shows (one query)."""
    return Lead.objects.filter(_lead_scope_q(user)).select_related("owner", "organization", "persona")


def lead_filter_for_user(*, user, params):
    """The bound LeadFilter over the user's leads; `.qs` is the filtered, sorted list.

    Default order: newest first. The form's owner choices are the users whose leads the
    user sees. A lazy load of a relation the rows did not join raises (FETCH_RAISE), so a
    per-row query fails the tests instead of slowing the page.
    """
    queryset = lead_list_for_user(user=user).fetch_mode(models.FETCH_RAISE)
    return filters.LeadFilter(params, queryset=queryset, user=user)


def lead_get_for_user(*, user, lead_id):
    """One visible lead, or Http404 so that a lead outside the scope is not revealed."""
    try:
        # "deal" is the reverse of Deal.source_lead: the detail links to the converted deal.
        return lead_list_for_user(user=user).select_related("deal").get(pk=lead_id)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("No such lead.") from None


def lead_history(*, lead):
    return LeadStatusChange.objects.filter(lead=lead).select_related("actor").order_by("-at", "-id")


def scoring_settings():
    return ScoringSettings.get_solo()


def lead_import_get_for_user(*, user, import_id):
    """An import is visible only to the user who uploaded it."""
    try:
        return LeadImport.objects.get(pk=import_id, created_by=user)
    except (LeadImport.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def lead_export_rows(*, queryset):
    """The export's rows, streamed in chunks (no per-row queries)."""
    return queryset.select_related("owner", "persona").iterator(chunk_size=2000)
