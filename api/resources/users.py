"""Users and teams (read only): the people whose records the caller sees, as the owner
filters of the pages offer them (`accounts.scoping.visible_users`), and their teams."""

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from accounts import scoping
from accounts.models import Team
from api.pagination import CursorPagination
from api.schemas import Ref, ref

router = Router(tags=["users"])
teams_router = Router(tags=["teams"])


class UserOut(Schema):
    """A user as others see them: no settings, no tokens."""

    id: int
    username: str
    name: str
    email: str
    role: str
    team: Ref | None
    is_active: bool

    @staticmethod
    def resolve_name(user):
        return str(user)

    @staticmethod
    def resolve_team(user):
        return ref(user.team)


class TeamOut(Schema):
    id: int
    name: str
    managers: list[Ref]

    @staticmethod
    def resolve_managers(team):
        return [ref(manager) for manager in team.managers.all()]


def _visible_users(user):
    return scoping.visible_users(user).select_related("team")


def visible_teams(user):
    """The teams of the users the caller sees, and the teams a manager manages."""
    teams = Team.objects.filter(Q(members__in=scoping.visible_users(user).values("pk")) | Q(managers=user))
    if scoping.is_admin(user):
        teams = Team.objects.all()
    return Team.objects.filter(pk__in=teams.values("pk")).prefetch_related("managers")


@router.get("/", response=list[UserOut], summary="List users")
@paginate(CursorPagination, ordering=("id",))
def user_list(request: HttpRequest):
    """The users whose records you see (yourself and your team; a manager's teams; everyone
    for an admin), as the pages' owner filters offer them. Read only."""
    return _visible_users(request.user)


@router.get("/{int:user_id}", response=UserOut, summary="Read a user")
def user_read(request: HttpRequest, user_id: int):
    """One user you see; 404 otherwise."""
    found = _visible_users(request.user).filter(pk=user_id).first()
    if found is None:
        raise Http404("No such user.")
    return found


@teams_router.get("/", response=list[TeamOut], summary="List teams")
@paginate(CursorPagination, ordering=("id",))
def team_list(request: HttpRequest):
    """The teams of the users you see (and the teams you manage), with their managers."""
    return visible_teams(request.user)


@teams_router.get("/{int:team_id}", response=TeamOut, summary="Read a team")
def team_read(request: HttpRequest, team_id: int):
    """One team you see (404 otherwise), with its managers."""
    found = visible_teams(request.user).filter(pk=team_id).first()
    if found is None:
        raise Http404("No such team.")
    return found
