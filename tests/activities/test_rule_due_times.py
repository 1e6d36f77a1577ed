"""Rule-made activities are due within the assignee's working hours, in the assignee's zone:
never "at once overdue" at midnight server time."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from activities import services
from activities.models import Activity, FollowUpRule
from deals.models import StageChange
from tests import factories
from tests.activities.conftest import record_change

Trigger = FollowUpRule.Trigger
BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _only_the_rules_of_each_test(db):
    FollowUpRule.objects.all().delete()


def won_rule(days):
    return factories.FollowUpRuleFactory(
        trigger=Trigger.DEAL_WON, due_in_days=days, created_at=datetime(2025, 1, 1, tzinfo=BERLIN)
    )


def fire(rep, at, days):
    """A deal of `rep` won at `at`, the rule run at the same moment: the activity's due time."""
    won_rule(days)
    record_change(factories.DealFactory(owner=rep), StageChange.Kind.WON, at=at)
    services.rules_apply(now=at)
    return Activity.objects.get().due_at


def test_a_deal_won_at_midnight_is_followed_up_at_the_start_of_the_working_day(rep):
    due = fire(rep, datetime(2026, 6, 9, 0, 0, tzinfo=BERLIN), days=0)  # a Tuesday
    assert due == datetime(2026, 6, 9, 9, 0, tzinfo=BERLIN)


def test_within_working_hours_the_time_of_day_is_kept(rep):
    due = fire(rep, datetime(2026, 6, 9, 14, 20, tzinfo=BERLIN), days=2)
    assert due == datetime(2026, 6, 11, 14, 20, tzinfo=BERLIN)


def test_after_the_working_day_it_moves_to_the_next_morning(rep):
    due = fire(rep, datetime(2026, 6, 9, 18, 30, tzinfo=BERLIN), days=1)
    assert due == datetime(2026, 6, 11, 9, 0, tzinfo=BERLIN)


def test_a_due_day_on_a_weekend_moves_to_monday(rep):
    due = fire(rep, datetime(2026, 6, 10, 11, 0, tzinfo=BERLIN), days=3)  # Wednesday + 3 = Saturday
    assert due == datetime(2026, 6, 15, 9, 0, tzinfo=BERLIN)


def test_the_assignees_own_working_hours_count(rep):
    rep.workday_start, rep.workday_end = time(7, 30), time(15, 0)
    rep.save()
    due = fire(rep, datetime(2026, 6, 9, 15, 30, tzinfo=BERLIN), days=0)
    assert due == datetime(2026, 6, 10, 7, 30, tzinfo=BERLIN)


def test_working_hours_are_in_the_assignees_time_zone(rep):
    rep.time_zone = "America/New_York"
    rep.save()
    # 10:00 in Berlin is 04:00 in New York: before the rep's day starts there.
    due = fire(rep, datetime(2026, 6, 9, 10, 0, tzinfo=BERLIN), days=0)
    assert due == datetime(2026, 6, 9, 9, 0, tzinfo=NEW_YORK)


def test_in_tokyo_a_friday_evening_in_berlin_is_already_saturday(rep):
    rep.time_zone = "Asia/Tokyo"
    rep.save()
    due = fire(rep, datetime(2026, 6, 12, 18, 0, tzinfo=BERLIN), days=0)  # Saturday 01:00 in Tokyo
    assert due == datetime(2026, 6, 15, 9, 0, tzinfo=TOKYO)


def test_days_are_calendar_days_across_a_daylight_saving_change(rep):
    # Berlin moves its clocks forward on 29 March 2026: 10:00 stays 10:00 on the wall.
    due = fire(rep, datetime(2026, 3, 26, 10, 0, tzinfo=BERLIN), days=5)
    assert due == datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN)


def test_a_late_run_never_makes_the_activity_due_before_it_was_made(rep):
    won_rule(0)
    record_change(factories.DealFactory(owner=rep), StageChange.Kind.WON, at=datetime(2026, 6, 9, 10, 0, tzinfo=BERLIN))
    run_at = datetime(2026, 6, 9, 13, 0, tzinfo=BERLIN)  # the engine was down for three hours
    services.rules_apply(now=run_at)
    assert Activity.objects.get().due_at == run_at
