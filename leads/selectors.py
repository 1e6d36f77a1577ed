"""Reads of leads, always scoped to the user (DESIGN §5).

Leads follow the deal rules: a rep sees their own and their team's, a manager those of
the teams they manage, an admin all. Unassigned leads (e.g. from the web form when no
owner is configured) are visible to managers and admins, who hand them out.
"""

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, Q, Value, When
from django.http import Http404

from accounts import scoping
from accounts.models import User
from leads import contact_keys, filters
from leads.models import Lead, LeadConsentChange, LeadImport, LeadStatusChange, LeadTouch, ScoringSettings


def lead_scope_q(user, owner_field="owner"):
    """The leads `user` sees: as every record by owner, and for a manager the unassigned ones."""
    q = scoping.visible_owner_q(user, owner_field)
    if user.is_authenticated and not scoping.is_admin(user) and user.role == User.Role.MANAGER:
        q |= Q(**{f"{owner_field}__isnull": True})
    return q


def lead_list_for_user(*, user):
    """The leads `user` may see, with the relations a row shows (one query)."""
    return Lead.objects.filter(lead_scope_q(user)).select_related("owner", "organization", "persona")


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


# Duplicates ----------------------------------------------------------------------------------


def lead_matches(*, email="", phone="", limit=10):
    """Existing leads of the same person: same e-mail key or same phone key, not converted.

    Deliberately unscoped: the public web form has no user, and lead_duplicates_for_user
    scopes the answer before a view shows it. A converted lead is closed (its person is now a
    deal's contact), so a new enquiry becomes a new lead. Order: e-mail matches first, open
    leads before disqualified ones, newest first. One query over the two indexed keys.
    """
    email_key, phone_key = contact_keys.email_key(email), contact_keys.phone_key(phone)
    q = Q()
    if email_key:
        q |= Q(email_key=email_key)
    if phone_key:
        q |= Q(phone_key=phone_key)
    if not q:
        return []
    same_email = Case(When(email_key=email_key, then=Value(True)), default=Value(False)) if email_key else Value(False)
    return list(
        Lead.objects.filter(q)
        .exclude(status=Lead.Status.CONVERTED)
        .select_related("owner")
        .annotate(
            same_email=same_email,
            is_open=Case(When(status=Lead.Status.DISQUALIFIED, then=Value(False)), default=Value(True)),
        )
        .order_by("-same_email", "-is_open", "-created_at", "-id")[:limit]
    )


def lead_key_matches_for_user(*, user, email_keys, phone_keys):
    """For the import preview: which of the keys existing (not converted) leads have.

    Returns two dicts (e-mail, phone): key → the id of a matching lead the user may open, or
    None when every matching lead is outside the user's scope. In chunks of 500 keys.
    """
    found = []
    for name, keys in (("email_key", email_keys), ("phone_key", phone_keys)):
        keys = sorted(set(keys) - {""})
        for start in range(0, len(keys), 500):
            found.extend(
                (name, key, pk)
                for key, pk in Lead.objects.filter(**{f"{name}__in": keys[start : start + 500]})
                .exclude(status=Lead.Status.CONVERTED)
                .values_list(name, "pk")
            )
    ids = sorted({pk for _name, _key, pk in found})
    visible = set()
    for start in range(0, len(ids), 500):
        visible.update(
            lead_list_for_user(user=user).filter(pk__in=ids[start : start + 500]).values_list("pk", flat=True)
        )
    result = {"email_key": {}, "phone_key": {}}
    for name, key, pk in found:
        if pk in visible:
            result[name][key] = min(pk, result[name].get(key) or pk)
        else:
            result[name].setdefault(key, None)
    return result["email_key"], result["phone_key"]


def lead_taken_email_keys(*, email_keys):
    """Those of `email_keys` that an existing (not converted) lead has; in chunks of 500."""
    keys = sorted(set(email_keys) - {""})
    taken = set()
    for start in range(0, len(keys), 500):
        taken.update(
            Lead.objects.filter(email_key__in=keys[start : start + 500])
            .exclude(status=Lead.Status.CONVERTED)
            .values_list("email_key", flat=True)
        )
    return taken


@dataclass
class Duplicates:
    """What the lead form tells a user about existing leads of the same person."""

    visible: list = field(default_factory=list)  # leads the user may open
    hidden: bool = False  # another match exists outside the user's scope (no details shown)

    def __bool__(self):
        return bool(self.visible) or self.hidden


def lead_duplicates_for_user(*, user, email, phone):
    """The matches of lead_matches split by the user's scope: the visible ones with their
    owner (to open), and only the fact that others exist, never their details."""
    matches = lead_matches(email=email, phone=phone)
    if not matches:
        return Duplicates()
    visible_ids = set(lead_list_for_user(user=user).filter(pk__in=[m.pk for m in matches]).values_list("pk", flat=True))
    return Duplicates(
        visible=[m for m in matches if m.pk in visible_ids],
        hidden=any(m.pk not in visible_ids for m in matches),
    )


def lead_touches(*, lead):
    return LeadTouch.objects.filter(lead=lead).order_by("-at", "-id")


def lead_history(*, lead):
    return LeadStatusChange.objects.filter(lead=lead).select_related("actor").order_by("-at", "-id")


def lead_consent_history(*, lead, limit=50):
    """The lead's e-mail consent changes, newest first, with who recorded them."""
    return list(LeadConsentChange.objects.filter(lead=lead).select_related("actor").order_by("-at", "-id")[:limit])


def scoring_settings():
    return ScoringSettings.get_solo()


def lead_import_get_for_user(*, user, import_id):
    """An import is visible only to the user who uploaded it."""
    try:
        # The kept upload (up to LEADS_IMPORT_MAX_BYTES) is read only to read it again.
        return LeadImport.objects.defer("source").get(pk=import_id, created_by=user)
    except (LeadImport.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import.") from None


def lead_export_rows(*, queryset):
    """The export's rows, streamed in chunks (no per-row queries)."""
    return queryset.select_related("owner", "persona").iterator(chunk_size=2000)
