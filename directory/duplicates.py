"""Likely duplicates, scoped to the user: the candidates the create forms show before saving (and
an importer can ask for), the groups of the admins' "possible duplicates" lists, and the records
of a merge.

The matching itself is customers.duplicates (indexed keys); here the answer is split into the
records the user may open and the mere fact that others exist (as on the lead form,
leads.selectors.lead_duplicates_for_user).
"""

from datetime import timedelta

from django.db.models import Count, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import Http404
from django.utils import timezone

from accounts import scoping
from customers import duplicates
from customers.keys import SHARED_DOMAINS
from customers.models import RESTORE_DAYS, MergeRecord, Organization
from directory import selectors
from leads.selectors import Duplicates


def _split(matches, *, visible_ids):
    return Duplicates(
        visible=[m for m in matches if m.pk in visible_ids], hidden=any(m.pk not in visible_ids for m in matches)
    )


def organization_duplicate_candidates(*, user, name="", website="", email_domain="", vat_id="", exclude=(), limit=10):
    """Organizations that are likely the one typed: same name key ("Müller GmbH" = "Mueller"),
    a shared domain (e-mail domain or website, not a free-mail one) or the same VAT ID.
    Returns leads.selectors.Duplicates: `visible` (the user's, each with `same_name`,
    `same_domain`, `same_vat`) and `hidden` (others exist outside the user's scope).
    Two queries: the indexed match, then which of them the user sees."""
    matches = list(
        duplicates.organization_matches(
            name=name, website=website, email_domain=email_domain, vat_id=vat_id, exclude=exclude
        )
        .select_related("owner")
        .order_by("-same_vat", "-same_name", "name", "pk")[:limit]
    )
    if not matches:
        return Duplicates()
    visible = selectors.organization_list_for_user(user=user).filter(pk__in=[m.pk for m in matches])
    return _split(matches, visible_ids=set(visible.values_list("pk", flat=True)))


def contact_duplicate_candidates(*, user, email="", phone="", emails=(), phones=(), exclude=(), limit=10):
    """Contacts that are likely the one typed: one of the e-mail addresses (case ignored) or
    phone numbers is a contact's main or further one. `email`/`phone` are the main ones,
    `emails`/`phones` further ones. Returns Duplicates as above (`same_email`, `same_phone`)."""
    matches = list(
        duplicates.contact_matches(emails=[email, *emails], phones=[phone, *phones], exclude=exclude)
        .select_related("owner", "organization")
        .order_by("-same_email", "last_name", "first_name", "pk")[:limit]
    )
    if not matches:
        return Duplicates()
    visible = selectors.contact_list_for_user(user=user).filter(pk__in=[m.pk for m in matches])
    return _split(matches, visible_ids=set(visible.values_list("pk", flat=True)))


# --- the admins' lists: groups found with GROUP BY over an indexed key ----------------------

ORGANIZATION_KEYS = {
    "name": "name_key",
    "domain": Coalesce(NullIf("email_domain", Value("")), NullIf("website_domain", Value(""))),
    "vat": NullIf("vat_id", Value("")),
}
CONTACT_KEYS = {"email": NullIf(Lower("email"), Value("")), "phone": NullIf("phone", Value(""))}


def _groups(model, key, *, exclude_keys=()):
    """The keys shared by more than one live record, the largest groups first (one GROUP BY)."""
    rows = model.objects.annotate(dup_key=key if not isinstance(key, str) else NullIf(key, Value("")))
    rows = rows.filter(dup_key__isnull=False).exclude(dup_key__in=list(exclude_keys))
    return rows.values("dup_key").annotate(size=Count("pk")).filter(size__gt=1).order_by("-size", "dup_key")


def duplicate_groups(model, *, by):
    """A query of {dup_key, size} for the paginator: organizations by "name", "domain" or
    "vat", contacts by "email" or "phone"."""
    keys = ORGANIZATION_KEYS if model is Organization else CONTACT_KEYS
    exclude = SHARED_DOMAINS if by == "domain" else ()
    return _groups(model, keys[by], exclude_keys=exclude)


def duplicate_group_members(model, *, by, keys):
    """The records of the groups on one page, [(key, [records])] in the page's order (one query)."""
    key = (ORGANIZATION_KEYS if model is Organization else CONTACT_KEYS)[by]
    related = ("owner",) if model is Organization else ("owner", "organization")
    rows = (
        model.objects.annotate(dup_key=key if not isinstance(key, str) else NullIf(key, Value("")))
        .filter(dup_key__in=keys)
        .select_related(*related)
        .order_by("pk")
    )
    members = {k: [] for k in keys}
    for record in rows:
        members[record.dup_key].append(record)
    return list(members.items())


# --- the records of a merge ---------------------------------------------------------------


def merge_records_for_user(model, *, user, ids):
    """The live records `ids` in that order, each one the user sees; Http404 for any other."""
    get = selectors.organization_get_for_user if model is Organization else selectors.contact_get_for_user
    key = "organization_id" if model is Organization else "contact_id"
    return [get(user=user, **{key: pk}) for pk in ids]


def merge_get_for_user(*, user, merge_id):
    """A merge the user made, or one whose surviving record they see (admins: every one)."""
    try:
        merge = MergeRecord.objects.select_related("actor", "undone_by").get(pk=merge_id)
    except (MergeRecord.DoesNotExist, ValueError, TypeError):
        raise Http404("No such merge.") from None
    if merge.actor_id == user.pk or scoping.is_admin(user):
        return merge
    visible = (
        selectors.organization_list_for_user(user=user)
        if merge.model is Organization
        else selectors.contact_list_for_user(user=user)
    )
    if not visible.filter(pk=merge.survivor_id).exists():
        raise Http404("No such merge.")
    return merge


def merge_records(merge):
    """(survivor, [merged-away records]) of a merge, the trash included (two queries)."""
    model = merge.model
    related = ("owner",) if model is Organization else ("owner", "organization")
    survivor = model.all_objects.select_related(*related).filter(pk=merge.survivor_id).first()
    others = list(model.all_objects.select_related(*related).filter(pk__in=merge.merged_ids).order_by("pk"))
    return survivor, others


def recent_merges_into(record):
    """The merges into `record` that can still be undone (not undone, younger than RESTORE_DAYS),
    newest first, for its 360° page (one query)."""
    kind = MergeRecord.Kind.ORGANIZATION if isinstance(record, Organization) else MergeRecord.Kind.CONTACT
    since = timezone.now() - timedelta(days=RESTORE_DAYS)
    return list(
        MergeRecord.objects.filter(kind=kind, survivor_id=record.pk, undone_at__isnull=True, at__gte=since)
        .select_related("actor")
        .order_by("-at", "-pk")[:5]
    )
