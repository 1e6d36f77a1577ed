"""Demo goals: for every demo rep and both teams, the current month and quarter, with targets a
little above what the rep achieved per month over the three months before (so the bars show some
goals reached, some on pace and some behind)."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from activities.models import Activity
from analytics.goals import GoalPeriod
from analytics.models import Goal
from deals.models import Deal

LOOKBACK_MONTHS = 3
STRETCH = Decimal("1.1")  # the target: the recent monthly average plus ten per cent
MINIMUM = {
    Goal.Metric.WON_VALUE: Decimal(5000),
    Goal.Metric.WON_DEALS: Decimal(1),
    Goal.Metric.ACTIVITIES: Decimal(5),
    Goal.Metric.NEW_DEALS: Decimal(2),
}


def _monthly_averages(reps, since, until):
    """{rep id: {metric: average per month}} over [since, until) — three grouped queries."""
    won = Q(status=Deal.Status.WON, won_at__gte=since, won_at__lt=until)
    deals = (
        Deal.objects.filter(owner__in=reps)
        .values("owner_id")
        .annotate(
            won_value=Sum("value", filter=won),
            won_deals=Count("id", filter=won),
            new_deals=Count("id", filter=Q(created_at__gte=since, created_at__lt=until)),
        )
        .order_by()
    )
    activities = dict(
        Activity.objects.filter(assignee__in=reps, done_at__gte=since, done_at__lt=until)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("assignee_id", "n")
    )
    averages = {rep.pk: dict.fromkeys(Goal.Metric.values, Decimal(0)) for rep in reps}
    for row in deals:
        for metric in (Goal.Metric.WON_VALUE, Goal.Metric.WON_DEALS, Goal.Metric.NEW_DEALS):
            averages[row["owner_id"]][metric] = Decimal(row[metric] or 0) / LOOKBACK_MONTHS
    for rep_id, n in activities.items():
        averages[rep_id][Goal.Metric.ACTIVITIES] = Decimal(n) / LOOKBACK_MONTHS
    return averages


def _target(metric, monthly, months):
    """A round monthly target (money to 500, counts to 1) times the period's months."""
    step = Decimal(500) if metric == Goal.Metric.WON_VALUE else Decimal(1)
    per_month = (max(monthly * STRETCH, MINIMUM[metric]) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return per_month * months


def seed_goals(*, users, teams, stdout=None, now=None):
    """Goals for the reps and teams of the current month and quarter, set by the manager; goals
    that already exist are kept. Returns the number created."""
    now = now or timezone.now()
    month = GoalPeriod.current(Goal.Period.MONTH, now)
    quarter = GoalPeriod.current(Goal.Period.QUARTER, now)
    reps = [user for user in users.values() if user.role == user.Role.REP and user.team_id]
    since = GoalPeriod(Goal.Period.MONTH, (month.start - timedelta(days=85)).date().replace(day=1))
    averages = _monthly_averages(reps, since.start, month.start)
    manager = users.get("manager")
    goals = []
    for period, months in ((month, 1), (quarter, 3)):
        team_totals = {}
        for rep in reps:
            for metric in Goal.Metric.values:
                target = _target(metric, averages[rep.pk][metric], months)
                team_totals.setdefault((rep.team_id, metric), Decimal(0))
                team_totals[(rep.team_id, metric)] += target
                goals.append(Goal(user=rep, metric=metric, period=period.period, period_start=period.first_day,
                                  target=target, created_by=manager))  # fmt: skip
        for team in teams.values():
            for metric in (Goal.Metric.WON_VALUE, Goal.Metric.NEW_DEALS):
                target = team_totals.get((team.pk, metric))
                if target:
                    goals.append(Goal(team=team, metric=metric, period=period.period,
                                      period_start=period.first_day, target=target, created_by=manager))  # fmt: skip
    before = Goal.objects.count()
    Goal.objects.bulk_create(goals, ignore_conflicts=True)
    created = Goal.objects.count() - before
    if stdout is not None:
        stdout.write(f"  {created} goals for {len(reps)} reps and {len(teams)} teams")
    return created
