"""Saved views: a list's filters (its query string) and visible columns under a name, private
or shared with the owner's team (docs/lists.md). Reads and writes in one small module: the
model is generic over the lists and knows nothing of them.

Who sees a view: its owner; when shared, the members of the owner's team and the managers of
that team. Only the owner renames, shares or deletes it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import SavedView

MAX_QUERY = 2000


def saved_view_visible_q(user):
    q = Q(owner=user)
    if user.team_id:
        q |= Q(shared=True, owner__team_id=user.team_id)
    if user.role == "manager":
        q |= Q(shared=True, owner__team_id__in=scoping._managed_teams_subquery(user))
    return q


def saved_views_for_user(*, user, list_key):
    """The views of one list the user may open: their own first, then the shared ones."""
    return (
        SavedView.objects.filter(saved_view_visible_q(user), list_key=list_key)
        .select_related("owner")
        .order_by("name", "id")
    )


def saved_view_get_for_user(*, user, view_id):
    """A view the user may open, or Http404."""
    try:
        return SavedView.objects.filter(saved_view_visible_q(user)).select_related("owner").get(pk=view_id)
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404("No such view.") from None


def _clean_name(name, *, owner, list_key, exclude=None):
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the view a name."))
    if len(name) > SavedView._meta.get_field("name").max_length:
        raise ValidationError(_("The name is too long."))
    same = SavedView.objects.filter(owner=owner, list_key=list_key, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        raise ValidationError(_("You have a view called %(name)s already.") % {"name": name})
    return name


@transaction.atomic
def saved_view_create(*, owner, list_key, name, query, columns=(), shared=False):
    """Save `query` (already reduced to the list's own parameters) and `columns` as a view."""
    if list_key not in SavedView.ListKey.values:
        raise ValidationError(_("Unknown list."))
    if len(query) > MAX_QUERY:
        raise ValidationError(_("These filters are too long to save."))
    return SavedView.objects.create(
        owner=owner,
        list_key=list_key,
        name=_clean_name(name, owner=owner, list_key=list_key),
        query=query,
        columns=list(columns),
        shared=bool(shared),
    )


def _check_owner(actor, view):
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner of a view may change it."))


@transaction.atomic
def saved_view_update(*, actor, view, name, shared):
    """Rename a view and share it or make it private again (its owner only)."""
    _check_owner(actor, view)
    view.name = _clean_name(name, owner=view.owner, list_key=view.list_key, exclude=view)
    view.shared = bool(shared)
    view.save(update_fields=["name", "shared", "updated_at"])
    return view


@transaction.atomic
def saved_view_delete(*, actor, view):
    _check_owner(actor, view)
    view.delete()
