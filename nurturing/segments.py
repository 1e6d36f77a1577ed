"""Segment membership: the lists' own FilterSets over the owner's scope, evaluated live.

A segment stores the query string of the contact or lead list (`Segment.query`). Its members
are whatever that list shows its owner now, with the same filters: someone who stops matching
leaves the segment, someone new who matches is in it. Sorting and paging parameters of the
list are ignored. Who reads a segment sees at most what its owner may see; the pages show
members to other users only within their own scope as well (`members(segment, user=…)`).
"""

from django.core.exceptions import ValidationError
from django.http import QueryDict

from directory import selectors as directory_selectors
from directory.filters import ContactFilter
from leads import selectors as lead_selectors
from leads.filters import LeadFilter
from nurturing.models import Segment

# List parameters that shape the page, not the membership.
IGNORED = ("o", "page", "columns", "view")


def params_of(query):
    """The membership filters of a list query string."""
    params = QueryDict(query or "", mutable=True)
    for name in IGNORED:
        params.pop(name, None)
    return params


def filterset(*, kind, query, user):
    """The bound FilterSet of the list `kind` (contacts or leads) over `user`'s records."""
    params = params_of(query)
    if kind == Segment.Kind.CONTACTS:
        queryset = directory_selectors.contact_list_for_user(user=user)
        return ContactFilter(params, queryset=queryset, user=user)
    queryset = lead_selectors.lead_list_for_user(user=user)
    return LeadFilter(params, queryset=queryset, user=user)


def members(segment, *, user=None):
    """The contacts or leads in the segment now (unordered queryset). Evaluated in the owner's
    scope, narrowed to `user`'s when another user reads it. A query string the list's filters
    refuse (a deleted tag, an owner out of scope) raises ValidationError with the filters' errors."""
    bound = filterset(kind=segment.kind, query=segment.query, user=segment.owner)
    if not bound.is_valid():
        raise ValidationError(bound.errors.as_text())
    queryset = bound.qs.order_by()
    if user is not None and user.pk != segment.owner_id:
        reader = filterset(kind=segment.kind, query="", user=user).qs
        queryset = queryset.filter(pk__in=reader.values("pk"))
    return queryset


def count(segment, *, user=None):
    return members(segment, user=user).count()
