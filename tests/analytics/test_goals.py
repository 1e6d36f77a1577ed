"""Goals: the arithmetic of each measure over its period (docs/metrics.md, "Goals"), team sums,
pace, forecast vs goal, who may set goals, and the selector's query budget."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import goals
from analytics.models import Goal
from analytics.selectors import goals as goal_selectors
from deals.models import Deal
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 16 November 2026, noon in the installation's time zone: the month is half gone by
# (15 of 30 days), the quarter (October–December, 92 days) 46 days.
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=BERLIN)
NOVEMBER = date(2026, 11, 1)
Q4 = date(2026, 10, 1)


def local(*args):
    return datetime(*args, tzinfo=BERLIN)


def goal(owner, metric, target, *, period=Goal.Period.MONTH, start=NOVEMBER):
    kind = "team" if owner.__class__.__name__ == "Team" else "user"
    return Goal.objects.create(**{kind: owner}, metric=metric, period=period, period_start=start, target=target)


def won(owner, at, value="1000"):
    return factories.DealFactory(owner=owner, status=Deal.Status.WON, won_at=at, value=Decimal(value))


def lost(owner, at, **kwargs):
    stage = factories.default_stages()[0]
    return factories.DealFactory(
        owner=owner, stage=stage, status=Deal.Status.LOST, lost_at=at, lost_reason=factories.LostReasonFactory(),
        lost_from_stage=stage, **kwargs,
    )  # fmt: skip


def progress_of(*goal_objects):
    return goal_selectors.progress(Goal.objects.filter(pk__in=[g.pk for g in goal_objects]), now=NOW)


@pytest.mark.django_db
def test_won_value_counts_the_deals_won_from_the_first_to_the_last_day_of_the_month(rep):
    target = goal(rep, Goal.Metric.WON_VALUE, 10000)
    won(rep, local(2026, 11, 1, 0, 0), "1000")  # the first moment of the month
    won(rep, local(2026, 11, 30, 23, 30), "2000")  # 23:30 local on the last day (22:30 UTC)
    won(rep, local(2026, 10, 31, 23, 59), "4000")  # the month before
    won(rep, local(2026, 12, 1, 0, 30), "8000")  # 23:30 UTC on 30 November, but 1 December here
    factories.DealFactory(owner=rep, value=Decimal("16000"))  # open
    lost(rep, local(2026, 11, 10, 9, 0))
    [row] = progress_of(target)
    assert row.achieved == Decimal("3000.00")
    assert row.percent == 30


@pytest.mark.django_db
def test_won_deals_count_by_won_date_over_the_quarter(rep):
    target = goal(rep, Goal.Metric.WON_DEALS, 4, period=Goal.Period.QUARTER, start=Q4)
    won(rep, local(2026, 10, 1, 0, 0))
    won(rep, local(2026, 12, 31, 23, 30))
    won(rep, local(2026, 9, 30, 23, 59))
    won(rep, local(2027, 1, 1, 0, 0))
    [row] = progress_of(target)
    assert row.achieved == 2
    assert row.percent == 50


@pytest.mark.django_db
def test_new_deals_count_the_deals_created_in_the_period_by_their_owner(rep, teammate):
    target = goal(rep, Goal.Metric.NEW_DEALS, 2)
    factories.DealFactory(owner=rep, created_at=local(2026, 11, 3, 10, 0))
    lost(rep, local(2026, 11, 30, 23, 45), created_at=local(2026, 11, 30, 23, 30))
    factories.DealFactory(owner=rep, created_at=local(2026, 10, 30, 10, 0))
    factories.DealFactory(owner=teammate, created_at=local(2026, 11, 3, 10, 0))
    [row] = progress_of(target)
    assert row.achieved == 2
    assert row.percent == 100


@pytest.mark.django_db
def test_activities_count_those_done_in_the_period_by_the_assignee(rep, teammate):
    target = goal(rep, Goal.Metric.ACTIVITIES, 10)
    deal = factories.DealFactory(owner=teammate)
    factories.ActivityFactory(deal=deal, assignee=rep, done_at=local(2026, 11, 30, 23, 30))
    factories.ActivityFactory(deal=deal, assignee=rep, done_at=local(2026, 11, 1, 0, 0))
    factories.ActivityFactory(deal=deal, assignee=rep, done_at=None)  # not done
    factories.ActivityFactory(deal=deal, assignee=rep, done_at=local(2026, 12, 1, 0, 0))
    factories.ActivityFactory(deal=deal, assignee=teammate, done_at=local(2026, 11, 5, 9, 0))
    [row] = progress_of(target)
    assert row.achieved == 2


@pytest.mark.django_db
def test_a_team_goal_sums_its_current_members(team_north, rep, teammate, outsider):
    target = goal(team_north, Goal.Metric.WON_VALUE, 5000)
    won(rep, local(2026, 11, 2, 9, 0), "1000")
    won(teammate, local(2026, 11, 3, 9, 0), "1500")
    won(outsider, local(2026, 11, 3, 9, 0), "9000")
    left = factories.UserFactory(team=None)  # a former member: their deals no longer count
    won(left, local(2026, 11, 3, 9, 0), "7000")
    [row] = progress_of(target)
    assert row.achieved == Decimal("2500.00")
    assert row.percent == 50


@pytest.mark.django_db
def test_pace_is_the_target_times_the_share_of_the_period_gone_by(rep):
    month = goal(rep, Goal.Metric.WON_DEALS, 30)
    quarter = goal(rep, Goal.Metric.WON_DEALS, 92, period=Goal.Period.QUARTER, start=Q4)
    past = goal(rep, Goal.Metric.WON_DEALS, 7, start=date(2026, 10, 1))
    future = goal(rep, Goal.Metric.WON_DEALS, 7, start=date(2026, 12, 1))
    rows = {row.goal.pk: row for row in progress_of(month, quarter, past, future)}
    # 15.5 of 30 days of November (noon on the 16th); 46.5 of 92 days of the quarter.
    assert rows[month.pk].pace == Decimal("15.50")
    assert rows[quarter.pk].pace == Decimal("46.50")
    assert rows[past.pk].pace == Decimal("7.00")
    assert rows[future.pk].pace == Decimal("0.00")


@pytest.mark.django_db
def test_forecast_adds_the_weighted_open_deals_expected_to_close_before_the_period_ends(rep):
    target = goal(rep, Goal.Metric.WON_VALUE, 10000)
    count = goal(rep, Goal.Metric.WON_DEALS, 3)
    won(rep, local(2026, 11, 5, 9, 0), "2000")
    factories.DealFactory(owner=rep, value=Decimal("4000"), probability=50, expected_close_date=date(2026, 11, 30))
    factories.DealFactory(owner=rep, value=Decimal("1000"), probability=20, expected_close_date=date(2026, 11, 16))
    # Not counted: closes after the month, overdue (METRICS: not moved into the period), no date.
    factories.DealFactory(owner=rep, value=Decimal("9000"), probability=90, expected_close_date=date(2026, 12, 1))
    factories.DealFactory(owner=rep, value=Decimal("9000"), probability=90, expected_close_date=date(2026, 11, 15))
    factories.DealFactory(owner=rep, value=Decimal("9000"), probability=90, expected_close_date=None)
    rows = {row.goal.pk: row for row in progress_of(target, count)}
    value = rows[target.pk]
    assert value.expected == Decimal("2200.00")  # 4,000 × 50 % + 1,000 × 20 %
    assert value.forecast == Decimal("4200.00")
    assert not value.forecast_reaches_target
    wins = rows[count.pk]
    assert wins.expected == Decimal("0.7")  # 0.5 + 0.2 expected wins
    assert wins.forecast == Decimal("1.7")


@pytest.mark.django_db
def test_only_the_current_period_has_a_forecast(rep):
    future = goal(rep, Goal.Metric.WON_VALUE, 1000, start=date(2026, 12, 1))
    activities = goal(rep, Goal.Metric.ACTIVITIES, 10)
    rows = progress_of(future, activities)
    assert [row.expected for row in rows] == [None, None]


# --- who may set goals ---------------------------------------------------------------------


def create(actor, **kwargs):
    values = {"metric": Goal.Metric.WON_DEALS, "period": Goal.Period.MONTH, "period_start": NOVEMBER, "target": 5}
    return goals.goal_create(actor=actor, **(values | kwargs))


@pytest.mark.django_db
def test_a_rep_cannot_set_goals_not_even_their_own(rep):
    with pytest.raises(PermissionDenied):
        create(rep, user=rep)
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_manager_sets_goals_only_for_their_teams_and_members(manager, team_north, team_south, rep, outsider):
    create(manager, user=rep)
    create(manager, team=team_north)
    with pytest.raises(PermissionDenied):
        create(manager, user=outsider)
    with pytest.raises(PermissionDenied):
        create(manager, team=team_south)
    assert Goal.objects.count() == 2


@pytest.mark.django_db
def test_a_manager_cannot_move_a_goal_out_of_their_teams(manager, rep, outsider):
    target = create(manager, user=rep)
    with pytest.raises(PermissionDenied):
        goals.goal_update(actor=manager, goal=target, user=outsider)
    target.refresh_from_db()
    assert target.user == rep


@pytest.mark.django_db
def test_an_admin_sets_goals_for_anyone(admin, outsider, team_south):
    create(admin, user=outsider)
    create(admin, team=team_south)
    assert Goal.objects.count() == 2


@pytest.mark.django_db
def test_a_duplicate_goal_is_a_validation_error_not_an_integrity_error(manager, rep):
    create(manager, user=rep)
    with pytest.raises(ValidationError):
        create(manager, user=rep, target=9)
    assert Goal.objects.get().target == 5


@pytest.mark.django_db
def test_a_period_must_start_on_the_first_day_of_its_month_or_quarter(admin, rep):
    with pytest.raises(ValidationError) as month:
        create(admin, user=rep, period_start=date(2026, 11, 2))
    with pytest.raises(ValidationError) as quarter:
        create(admin, user=rep, period=Goal.Period.QUARTER, period_start=NOVEMBER)
    assert "period_start" in month.value.error_dict
    assert "period_start" in quarter.value.error_dict
    create(admin, user=rep, period=Goal.Period.QUARTER, period_start=Q4)


@pytest.mark.django_db
def test_a_count_goal_takes_a_whole_number(admin, rep):
    with pytest.raises(ValidationError) as error:
        create(admin, user=rep, target=Decimal("2.5"))
    assert "target" in error.value.error_dict


def test_period_starts_are_normalised_to_the_month_or_quarter():
    assert goals.period_first_day(Goal.Period.MONTH, date(2026, 11, 30)) == NOVEMBER
    assert goals.period_first_day(Goal.Period.QUARTER, date(2026, 12, 31)) == Q4
    assert goals.period_first_day(Goal.Period.QUARTER, date(2027, 3, 31)) == date(2027, 1, 1)
    assert goals.next_period_start(Goal.Period.QUARTER, Q4) == date(2027, 1, 1)
    assert goals.GoalPeriod(Goal.Period.MONTH, date(2027, 2, 1)).last_day == date(2027, 2, 28)


# --- queries -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 20])
def test_progress_costs_the_same_queries_whatever_the_goals_and_deals(size, team_north, rep, teammate):
    users = [rep, teammate, *[factories.UserFactory(team=team_north) for _ in range(size)]]
    for user in users:
        for metric in Goal.Metric.values:
            goal(user, metric, 10)
            goal(user, metric, 30, period=Goal.Period.QUARTER, start=Q4)
        for day in range(1, size + 1):
            won(user, local(2026, 11, 1 + day % 15, 10, 0), "100")
            factories.DealFactory(owner=user, expected_close_date=date(2026, 11, 20), probability=50)
    goal(team_north, Goal.Metric.WON_VALUE, 1000)
    listed = Goal.objects.select_related("user", "team")
    # 1 the goals, 2 the deals (won value, won deals, new deals per owner and period),
    # 3 the activities done, 4 the open deals' forecast (current periods).
    with CaptureQueriesContext(connection) as queries:
        rows = goal_selectors.progress(listed, now=NOW)
    assert len(queries) == 4
    team_row = next(row for row in rows if row.goal.team_id)
    assert team_row.achieved == Decimal(100 * size * len(users))


@pytest.mark.django_db
def test_the_viewers_own_time_zone_does_not_move_the_period_boundary(rep):
    from django.utils import timezone

    target = goal(rep, Goal.Metric.WON_DEALS, 2)
    won(rep, local(2026, 11, 30, 23, 30))  # 17:30 in New York, 22:30 UTC
    won(rep, local(2026, 12, 1, 0, 30))  # still 30 November in New York and in UTC
    with timezone.override(ZoneInfo("America/New_York")):
        [row] = progress_of(target)
    assert row.achieved == 1
