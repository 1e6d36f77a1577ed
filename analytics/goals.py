"""Goals (quotas): their periods, who may set them, and the writes (docs/metrics.md, "Goals").

A goal belongs to one user or one team and covers one calendar month or quarter of the
installation's time zone. Admins set goals for anyone; a manager for the teams they manage and
for those teams' members; a rep sets none. Progress is never stored: see
`analytics.selectors.goals`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import Team, User
from analytics.filters import local_midnight
from analytics.models import Goal

COUNT_METRICS = (Goal.Metric.WON_DEALS, Goal.Metric.ACTIVITIES, Goal.Metric.NEW_DEALS)


# --- periods --------------------------------------------------------------------------------


def period_first_day(period, day):
    """The first day of the month or quarter that contains `day`."""
    if period == Goal.Period.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, day.month, 1)


def is_period_start(period, day):
    return period_first_day(period, day) == day


def next_period_start(period, first_day):
    months = 3 if period == Goal.Period.QUARTER else 1
    month = first_day.month - 1 + months
    return date(first_day.year + month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class GoalPeriod:
    """One month or quarter: [start, end) in the installation's time zone (METRICS "Period")."""

    period: str
    first_day: date

    @property
    def after_day(self):
        """The first day after the period."""
        return next_period_start(self.period, self.first_day)

    @property
    def start(self):
        return local_midnight(self.first_day)

    @property
    def end(self):
        return local_midnight(self.after_day)

    @property
    def last_day(self):
        return date.fromordinal(self.after_day.toordinal() - 1)

    def contains(self, moment):
        return self.start <= moment < self.end

    def elapsed_share(self, now):
        """The share of the period gone by at `now`: 0 before it, 1 after it."""
        if now <= self.start:
            return Decimal(0)
        if now >= self.end:
            return Decimal(1)
        return Decimal((now - self.start).total_seconds()) / Decimal((self.end - self.start).total_seconds())

    @classmethod
    def of(cls, goal):
        return cls(goal.period, goal.period_start)

    @classmethod
    def current(cls, period, now=None):
        today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
        return cls(period, period_first_day(period, today))


def current_and_next_periods(day):
    """The month and quarter containing `day`, and the month and quarter after them."""
    periods = []
    for period in (Goal.Period.MONTH, Goal.Period.QUARTER):
        first = period_first_day(period, day)
        periods += [GoalPeriod(period, first), GoalPeriod(period, next_period_start(period, first))]
    return periods


# --- who sees and who sets ----------------------------------------------------------------


def visible_goals_q(user):
    """The goals `user` sees: an admin all; a manager their own, their teams' and those teams'
    members'; a rep their own and their team's."""
    if scoping.is_admin(user):
        return Q()
    own = Q(user_id=user.pk)
    if user.role == User.Role.MANAGER:
        managed = scoping.managed_team_ids(user)
        return own | Q(user__team_id__in=managed) | Q(team_id__in=managed)
    if user.team_id:
        return own | Q(team_id=user.team_id)
    return own


def may_set_goals(user):
    return scoping.is_admin(user) or (user.is_authenticated and user.role == User.Role.MANAGER)


def may_set_goal_for(actor, *, user=None, team=None):
    """An admin for anyone; a manager for a team they manage and its members; a rep for no one."""
    if scoping.is_admin(actor):
        return True
    if not may_set_goals(actor):
        return False
    managed = scoping.managed_team_ids(actor)
    if team is not None:
        return team.pk in managed
    return user is not None and user.team_id in managed


def goal_users(actor):
    """The active users `actor` may set goals for (the form's choices)."""
    users = User.objects.filter(is_active=True)
    if scoping.is_admin(actor):
        return users
    if not may_set_goals(actor):
        return users.none()
    return users.filter(team_id__in=scoping.managed_team_ids(actor))


def goal_teams(actor):
    """The teams `actor` may set goals for (the form's choices)."""
    if scoping.is_admin(actor):
        return Team.objects.all()
    if not may_set_goals(actor):
        return Team.objects.none()
    return Team.objects.filter(pk__in=scoping.managed_team_ids(actor))


# --- writes --------------------------------------------------------------------------------


def _validate(goal):
    """Field rules and the one-goal-per-owner-measure-period rule, as a ValidationError (never an
    IntegrityError)."""
    errors = {}
    if (goal.user_id is None) == (goal.team_id is None):
        errors["user"] = _("Choose either a user or a team.")
    if goal.period_start and not is_period_start(goal.period, goal.period_start):
        if goal.period == Goal.Period.QUARTER:
            errors["period_start"] = _("A quarter starts on 1 January, 1 April, 1 July or 1 October.")
        else:
            errors["period_start"] = _("A month goal starts on the first day of the month.")
    if goal.target is not None:
        if goal.target <= 0:
            errors["target"] = _("The target must be greater than zero.")
        elif goal.metric in COUNT_METRICS and goal.target != goal.target.to_integral_value():
            errors["target"] = _("This measure counts: give a whole number.")
    if errors:
        raise ValidationError(errors)
    owner = Q(user_id=goal.user_id) if goal.user_id else Q(team_id=goal.team_id)
    duplicate = Goal.objects.filter(
        owner, metric=goal.metric, period=goal.period, period_start=goal.period_start
    ).exclude(pk=goal.pk)
    if duplicate.exists():
        raise ValidationError(_("There is already a goal for this owner, measure and period."))


def _save(goal):
    try:
        with transaction.atomic():
            goal.save()
    except IntegrityError as error:  # a goal saved at the same moment by someone else
        raise ValidationError(_("There is already a goal for this owner, measure and period.")) from error
    return goal


def goal_create(*, actor, user=None, team=None, metric, period, period_start, target):
    if not may_set_goal_for(actor, user=user, team=team):
        raise PermissionDenied(_("You may not set goals for this user or team."))
    goal = Goal(
        user=user,
        team=team,
        metric=metric,
        period=period,
        period_start=period_start,
        target=Decimal(target),
        created_by=actor,
    )
    _validate(goal)
    return _save(goal)


def goal_update(*, actor, goal, **changes):
    """Change a goal's owner, measure, period or target; the actor must be allowed both for the
    goal as it is and for the goal as it becomes."""
    if not may_set_goal_for(actor, user=goal.user, team=goal.team):
        raise PermissionDenied(_("You may not change this goal."))
    for name, value in changes.items():
        setattr(goal, name, value)
    if not may_set_goal_for(actor, user=goal.user, team=goal.team):
        raise PermissionDenied(_("You may not set goals for this user or team."))
    _validate(goal)
    return _save(goal)


def goal_delete(*, actor, goal):
    if not may_set_goal_for(actor, user=goal.user, team=goal.team):
        raise PermissionDenied(_("You may not change this goal."))
    goal.delete()
