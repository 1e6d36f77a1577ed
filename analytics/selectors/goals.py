"""Progress towards goals (docs/metrics.md, "Goals").

For any number of goals the progress costs one aggregate per metric family, grouped by owner
and the owner's current team: the deals (won value, won deals, new deals), the activities done,
and the forecast of the open deals (current periods only). Each period of the goals is one
conditional sum of the same query, so neither the number of goals nor the number of deals adds
a query, and no deal is read into Python.
"""

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from analytics import filters
from analytics.goals import GoalPeriod, visible_goals_q
from analytics.models import Goal
from analytics.selectors import base
from deals.models import Deal

M = Goal.Metric
DEAL_METRICS = (M.WON_VALUE, M.WON_DEALS, M.NEW_DEALS)
FORECAST_METRICS = (M.WON_VALUE, M.WON_DEALS)
# The drill-down's metric key of the deals a goal counts (analytics.selectors.drilldown).
DRILL_METRIC = {M.WON_VALUE: "won", M.WON_DEALS: "won", M.NEW_DEALS: "new"}
RATIO = DecimalField(max_digits=18, decimal_places=4)


@dataclass
class GoalProgress:
    goal: Goal
    period: GoalPeriod
    achieved: Decimal
    pace: Decimal  # target × the share of the period gone by
    expected: Decimal | None = None  # current period, won metrics: the open deals' weighted forecast
    drill_url: str = ""

    @property
    def target(self):
        return self.goal.target

    @property
    def kind(self):
        """How the figures are formatted: money for won value, a count otherwise."""
        return "money" if self.goal.metric == M.WON_VALUE else "int"

    @property
    def share(self):
        return self.achieved / self.target

    @property
    def percent(self):
        return int(self.share * 100)

    @property
    def bar_percent(self):
        return min(self.percent, 100)

    @property
    def pace_percent(self):
        return min(int(self.pace / self.target * 100), 100)

    @property
    def pace_step(self):
        """The pace in steps of 5 % (the bar's mark is placed by a CSS class: no inline styles)."""
        return 5 * round(self.pace_percent / 5)

    @property
    def on_pace(self):
        return self.achieved >= self.pace

    @property
    def forecast(self):
        """Achieved + expected: where the period is likely to end (None where no forecast applies)."""
        return None if self.expected is None else self.achieved + self.expected

    @property
    def forecast_share(self):
        return None if self.forecast is None else self.forecast / self.target

    @property
    def forecast_reaches_target(self):
        return self.forecast is not None and self.forecast >= self.target

    @property
    def owner_name(self):
        goal = self.goal
        return (goal.user.get_full_name() or goal.user.username) if goal.user_id else goal.team.name


def progress(goals, *, viewer=None, now=None):
    """[GoalProgress] for `goals` (a queryset or list, with user and team selected), in their order.

    Queries: the deals (when a goal counts deals), the activities (when one counts activities),
    the open deals' forecast (when a won-deals or won-value goal's period is under way): at most
    three, whatever the number of goals, periods or deals.
    """
    now = now or timezone.now()
    goals = list(goals)
    periods = sorted({GoalPeriod.of(g) for g in goals}, key=lambda p: (p.first_day, p.period))
    index = {p: i for i, p in enumerate(periods)}
    deal_rows = _deal_sums(goals, periods, index)
    activity_rows = _activity_sums(goals, periods, index)
    current = [p for p in periods if p.contains(now)]
    forecast_rows = _forecast_sums(goals, current, index, now)
    results = []
    for goal in goals:
        period = GoalPeriod.of(goal)
        i = index[period]
        if goal.metric == M.ACTIVITIES:
            achieved = _total(activity_rows, goal, f"a{i}", "assignee")
        elif goal.metric == M.WON_VALUE:
            achieved = base.money(_total(deal_rows, goal, f"wv{i}", "owner"))
        elif goal.metric == M.WON_DEALS:
            achieved = _total(deal_rows, goal, f"wn{i}", "owner")
        else:
            achieved = _total(deal_rows, goal, f"nn{i}", "owner")
        expected = None
        if goal.metric in FORECAST_METRICS and period.contains(now):
            key = f"fv{i}" if goal.metric == M.WON_VALUE else f"fn{i}"
            expected = _total(forecast_rows, goal, key, "owner")
            expected = (
                base.money(expected) if goal.metric == M.WON_VALUE else Decimal(expected).quantize(Decimal("0.1"))
            )
        pace = (goal.target * period.elapsed_share(now)).quantize(Decimal("0.01"))
        results.append(
            GoalProgress(
                goal=goal,
                period=period,
                achieved=Decimal(achieved),
                pace=pace,
                expected=expected,
                drill_url=drill_url(goal, period, viewer) if viewer is not None else "",
            )
        )
    return results


def _owners_q(goals, metrics, owner_field):
    users = {g.user_id for g in goals if g.user_id and g.metric in metrics}
    teams = {g.team_id for g in goals if g.team_id and g.metric in metrics}
    return Q(**{f"{owner_field}_id__in": users}) | Q(**{f"{owner_field}__team_id__in": teams})


def _windows(goals, periods, index, metrics):
    """The periods in which goals of `metrics` are set, with their index."""
    wanted = {GoalPeriod.of(g) for g in goals if g.metric in metrics}
    return [(index[p], p) for p in periods if p in wanted]


def _deal_sums(goals, periods, index):
    """One query: per owner (and the owner's team) and period, won value, won deals, new deals."""
    windows = _windows(goals, periods, index, DEAL_METRICS)
    if not windows:
        return []
    start, end = min(p.start for _i, p in windows), max(p.end for _i, p in windows)
    annotations = {}
    for i, p in windows:
        won = Q(status=Deal.Status.WON, won_at__gte=p.start, won_at__lt=p.end)
        annotations[f"wv{i}"] = Sum("value", filter=won)
        annotations[f"wn{i}"] = Count("id", filter=won)
        annotations[f"nn{i}"] = Count("id", filter=Q(created_at__gte=p.start, created_at__lt=p.end))
    in_range = Q(status=Deal.Status.WON, won_at__gte=start, won_at__lt=end) | Q(
        created_at__gte=start, created_at__lt=end
    )
    return list(
        Deal.objects.filter(_owners_q(goals, DEAL_METRICS, "owner"), in_range)
        .values("owner_id", "owner__team_id")
        .annotate(**annotations)
        .order_by()
    )


def _activity_sums(goals, periods, index):
    """One query: per assignee (and their team) and period, the activities done (done_at)."""
    windows = _windows(goals, periods, index, (M.ACTIVITIES,))
    if not windows:
        return []
    start, end = min(p.start for _i, p in windows), max(p.end for _i, p in windows)
    annotations = {f"a{i}": Count("id", filter=Q(done_at__gte=p.start, done_at__lt=p.end)) for i, p in windows}
    return list(
        Activity.objects.filter(_owners_q(goals, (M.ACTIVITIES,), "assignee"), done_at__gte=start, done_at__lt=end)
        .values("assignee_id", "assignee__team_id")
        .annotate(**annotations)
        .order_by()
    )


def _forecast_sums(goals, current, index, now):
    """One query: per owner and current period, the open deals expected to close from today to the
    period's last day (METRICS "Forecast": overdue deals are not moved into the period), as the
    weighted value Σ value × p and the expected number of wins Σ p, p = the deal's probability
    override, else its stage's probability."""
    wanted = {GoalPeriod.of(g) for g in goals if g.metric in FORECAST_METRICS}
    windows = [(index[p], p) for p in current if p in wanted]
    if not windows:
        return []
    today = timezone.localdate(now, timezone.get_default_timezone())
    probability = Coalesce("probability", "stage__probability")
    annotations = {}
    for i, p in windows:
        closes = Q(expected_close_date__lte=p.last_day)
        annotations[f"fv{i}"] = Sum(
            ExpressionWrapper(F("value") * probability / 100.0, output_field=base.MONEY), filter=closes
        )
        annotations[f"fn{i}"] = Sum(ExpressionWrapper(probability / 100.0, output_field=RATIO), filter=closes)
    return list(
        Deal.objects.filter(
            _owners_q(goals, FORECAST_METRICS, "owner"),
            status=Deal.Status.OPEN,
            expected_close_date__gte=today,
            expected_close_date__lte=max(p.last_day for _i, p in windows),
        )
        .values("owner_id", "owner__team_id")
        .annotate(**annotations)
        .order_by()
    )


def _total(rows, goal, key, owner_field):
    """Σ of one figure over a user's row or over the rows of a team's current members."""
    if goal.user_id:
        matching = (row for row in rows if row[f"{owner_field}_id"] == goal.user_id)
    else:
        matching = (row for row in rows if row[f"{owner_field}__team_id"] == goal.team_id)
    return sum((Decimal(row.get(key) or 0) for row in matching), Decimal(0))


def drill_url(goal, period, viewer):
    """The drill-down list of the deals a deal goal counts, where the viewer's dashboard can filter
    to the goal's owner or team ('' otherwise: activities, or a rep looking at their team's goal)."""
    metric = DRILL_METRIC.get(goal.metric)
    if metric is None:
        return ""
    items = [("start", period.first_day.isoformat()), ("end", period.last_day.isoformat())]
    if filters.dashboard_is_own_only(viewer):
        if goal.user_id != viewer.pk:
            return ""
    elif goal.user_id:
        items.append(("owner", str(goal.user_id)))
    else:
        items.append(("team", str(goal.team_id)))
    items.append(("metric", metric))
    return f"{reverse('analytics:drilldown')}?{urlencode(items)}"


# --- which goals a page shows ----------------------------------------------------------------


def _goals():
    return Goal.objects.select_related("user", "team")


def goals_in_periods(*, viewer, periods):
    """The goals the viewer sees (analytics.goals.visible_goals_q) in these periods."""
    in_periods = Q(pk__in=[])
    for p in periods:
        in_periods |= Q(period=p.period, period_start=p.first_day)
    return (
        _goals()
        .filter(visible_goals_q(viewer), in_periods)
        .order_by("period_start", "period", "team__name", "user__username", "metric")
    )


def dashboard_goals(*, viewer, criteria, now=None):
    """The goals of the current month and quarter on the viewer's dashboard: a rep's own; a
    manager's or admin's in scope, narrowed by the owner or team filter (a team: its goal and its
    current members')."""
    now = now or timezone.now()
    periods = [GoalPeriod.current(Goal.Period.MONTH, now), GoalPeriod.current(Goal.Period.QUARTER, now)]
    goals = goals_in_periods(viewer=viewer, periods=periods)
    if filters.dashboard_is_own_only(viewer):
        goals = goals.filter(user_id=viewer.pk)
    if criteria.owner is not None:
        goals = goals.filter(user_id=criteria.owner.pk)
    if criteria.team is not None:
        goals = goals.filter(Q(team_id=criteria.team.pk) | Q(user__team_id=criteria.team.pk))
    return progress(goals, viewer=viewer, now=now)


def my_goals(*, viewer, now=None):
    """The viewer's own goals of the current month, or of the current quarter when the month has
    none (the board's indicator: one period, so no two chips carry the same measure)."""
    now = now or timezone.now()
    periods = [GoalPeriod.current(Goal.Period.MONTH, now), GoalPeriod.current(Goal.Period.QUARTER, now)]
    goals = list(goals_in_periods(viewer=viewer, periods=periods).filter(user_id=viewer.pk))
    goals = [g for g in goals if g.period == Goal.Period.MONTH] or goals
    order = list(M.values)
    goals = sorted(goals, key=lambda g: order.index(g.metric))
    return progress(goals, viewer=viewer, now=now)
