"""Who may see and change what (DESIGN §5), in one place.

Every selector in the other apps starts from `visible_owner_q`; every service that
writes checks `can_change_owned` (or `can_reassign`). The rules:

- rep: sees records owned by themself or by a member of their own team; changes only
  their own; reassigns nothing.
- manager: sees and changes records owned by themself or by a member of any team they
  manage; reassigns between members of the teams they manage.
- admin (role admin or superuser): everything.
"""

from django.db.models import BooleanField, Case, Q, Value, When


def is_admin(user):
    return bool(user.is_authenticated and (user.is_superuser or user.role == "admin"))


def managed_team_ids(user):
    """The ids of the teams the user manages, memoised on the user object for the request."""
    if not user.is_authenticated or user.role != "manager":
        return frozenset()
    cached = getattr(user, "_managed_team_ids", None)
    if cached is None:
        cached = frozenset(user.managed_teams.values_list("id", flat=True))
        user._managed_team_ids = cached
    return cached


def _managed_teams_subquery(user):
    """The managed teams as a subquery, so that a scope filter costs no query of its own."""
    from accounts.models import Team

    return Team.objects.filter(managers=user).values("id")


def _owner_q(user, owner_field, *, reps_see_their_team):
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    own = Q(**{f"{owner_field}_id": user.pk})
    if user.role == "manager":
        return own | Q(**{f"{owner_field}__team_id__in": _managed_teams_subquery(user)})
    if reps_see_their_team and user.team_id:
        return own | Q(**{f"{owner_field}__team_id": user.team_id})
    return own


def visible_owner_q(user, owner_field="owner"):
    """A Q that keeps the rows whose `owner_field` the user may see."""
    return _owner_q(user, owner_field, reps_see_their_team=True)


def changeable_owner_q(user, owner_field="owner"):
    """A Q that keeps the rows whose owner lets the user change them."""
    return _owner_q(user, owner_field, reps_see_their_team=False)


def changeable_expression(user, owner_field="owner"):
    """A boolean SQL expression: may the user change this row (the rule of `can_change_owned`)?
    Annotated on board cards so that no card needs a query or a Python check of its own."""
    if is_admin(user):
        return Value(True)
    if not user.is_authenticated:
        return Value(False)
    return Case(
        When(changeable_owner_q(user, owner_field), then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def can_view_owned(user, owner):
    """May `user` see a record owned by `owner` (a User or None for unassigned)?"""
    if is_admin(user):
        return True
    if owner is None or not user.is_authenticated:
        return False
    if owner.pk == user.pk:
        return True
    if user.role == "manager":
        return owner.team_id in managed_team_ids(user)
    return user.team_id is not None and owner.team_id == user.team_id


def can_change_owned(user, owner):
    """May `user` edit, move, win or lose a record owned by `owner`?"""
    if is_admin(user):
        return True
    if owner is None or not user.is_authenticated:
        return False
    if owner.pk == user.pk:
        return True
    return user.role == "manager" and owner.team_id in managed_team_ids(user)


def can_reassign(user, *, current_owner, new_owner):
    """May `user` hand a record from `current_owner` to `new_owner`?"""
    if is_admin(user):
        return True
    if user.role != "manager" or not new_owner.is_active:
        return False
    teams = managed_team_ids(user)

    def within(owner):
        return owner.pk == user.pk or owner.team_id in teams

    return (current_owner is None or within(current_owner)) and within(new_owner)


def assignable_users(user):
    """The active users `user` may hand records to (for owner pickers)."""
    from accounts.models import User

    users = User.objects.filter(is_active=True)
    if is_admin(user):
        return users
    if user.role == "manager":
        return users.filter(Q(pk=user.pk) | Q(team_id__in=_managed_teams_subquery(user)))
    return users.filter(pk=user.pk)


def visible_users(user):
    """The users whose records `user` sees (for owner filters)."""
    from accounts.models import User

    return User.objects.filter(visible_user_q(user))


def visible_user_q(user):
    """A Q over users: those whose records `user` sees."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if is_admin(user):
        return Q()
    if user.role == "manager":
        return Q(pk=user.pk) | Q(team_id__in=_managed_teams_subquery(user))
    if user.team_id:
        return Q(pk=user.pk) | Q(team_id=user.team_id)
    return Q(pk=user.pk)
