"""Bottleneck verdicts: ≥ 5 open deals and either much older than usual (1.5 × the median of the
completed visits of the last 6 months) or piling up (1.5 × the 90-day daily average open count)."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from analytics import services, tasks
from analytics.models import DailySnapshot
from deals.models import StageHealth


@pytest.fixture
def usual_ten_days(history, rep, stages):
    """Six completed visits to S2 of 10 days each, ended 90 days ago."""
    for _ in range(6):
        history.deal(owner=rep, steps=[(100, stages[2]), (90, stages[3])])


def open_deals(history, rep, stage, count, age_days):
    for _ in range(count):
        history.deal(owner=rep, steps=[(age_days, stage)])


def snapshots(history, rep, stage, open_count, days=10):
    DailySnapshot.objects.bulk_create(
        DailySnapshot(
            day=history.now.date() - timedelta(days=d),
            pipeline=stage.pipeline,
            stage=stage,
            owner=rep,
            open_count=open_count,
        )
        for d in range(1, days + 1)
    )


def test_age_rule_flags_a_stage_whose_deals_are_much_older(usual_ten_days, history, rep, stages):
    open_deals(history, rep, stages[2], 5, age_days=20)
    services.stage_health_compute(now=history.now)
    health = StageHealth.objects.get(stage=stages[2])
    assert (health.is_bottleneck, health.rule) == (True, "age")
    assert health.numbers["median_age_days"] == 20.0
    assert health.numbers["historical_median_days"] == 10.0
    assert health.numbers["throughput_per_week"] == 0.2  # 6 exits in 182 days
    assert "20.0 days > 1.5 × usual 10.0 days" in health.explanation


def test_age_rule_stays_off_below_one_and_a_half_times(usual_ten_days, history, rep, stages):
    open_deals(history, rep, stages[2], 5, age_days=14)
    services.stage_health_compute(now=history.now)
    health = StageHealth.objects.get(stage=stages[2])
    assert (health.is_bottleneck, health.rule, health.explanation) == (False, "", "")


def test_no_flag_with_fewer_than_five_open_deals(usual_ten_days, history, rep, stages):
    open_deals(history, rep, stages[2], 4, age_days=40)
    services.stage_health_compute(now=history.now)
    assert StageHealth.objects.get(stage=stages[2]).is_bottleneck is False


def test_pile_up_rule_flags_more_open_deals_than_usual(history, rep, stages):
    snapshots(history, rep, stages[1], open_count=2)
    open_deals(history, rep, stages[1], 5, age_days=1)
    services.stage_health_compute(now=history.now)
    health = StageHealth.objects.get(stage=stages[1])
    assert (health.is_bottleneck, health.rule) == (True, "pile_up")
    assert health.numbers["average_daily_open"] == 2.0
    assert "5 open deals > 1.5 × the 90-day daily average of 2.0" in health.explanation


def test_pile_up_rule_stays_off_within_the_usual_range(history, rep, stages):
    snapshots(history, rep, stages[1], open_count=4)
    open_deals(history, rep, stages[1], 5, age_days=1)
    services.stage_health_compute(now=history.now)
    assert StageHealth.objects.get(stage=stages[1]).rule == ""


def test_verdict_is_cleared_when_the_stage_recovers(usual_ten_days, history, rep, stages):
    open_deals(history, rep, stages[2], 5, age_days=20)
    services.stage_health_compute(now=history.now)
    services.stage_health_compute(now=history.now - timedelta(days=12))  # the same deals, 8 days old then
    assert StageHealth.objects.get(stage=stages[2]).is_bottleneck is False


def test_bottleneck_verdict_rule_by_numbers():
    verdict = services.bottleneck_verdict
    assert verdict(open_count=5, median_age_days=15.1, historical_median_days=10, average_daily_open=None)[0] == "age"
    assert verdict(open_count=5, median_age_days=15.0, historical_median_days=10, average_daily_open=None)[0] == ""
    assert verdict(open_count=7, median_age_days=1, historical_median_days=10, average_daily_open=4)[0] == "pile_up"
    assert verdict(open_count=6, median_age_days=1, historical_median_days=10, average_daily_open=4)[0] == ""
    assert verdict(open_count=4, median_age_days=99, historical_median_days=1, average_daily_open=1)[0] == ""


def test_command_and_task_write_a_verdict_for_every_stage(history, rep, stages):
    call_command("bottlenecks", verbosity=0)
    assert StageHealth.objects.filter(stage__in=stages).count() == len(stages)
    tasks.stage_health.apply()
    assert StageHealth.objects.filter(stage__in=stages).count() == len(stages)


def test_dashboard_shows_the_flag(usual_ten_days, history, rep, admin, stages, client):
    open_deals(history, rep, stages[2], 5, age_days=20)
    services.stage_health_compute(now=history.now)
    client.force_login(admin)
    page = client.get("/dashboard/").content.decode()
    assert 'class="bottleneck"' in page
    assert "Deals much older than usual: 5 open deals, median age 20.0 days" in page


def test_the_job_writes_the_age_limit_and_each_owners_load_for_the_board(
    usual_ten_days, history, rep, teammate, stages
):
    from deals.models import StageOwnerLoad

    snapshots(history, rep, stages[2], open_count=3, days=10)
    snapshots(history, teammate, stages[2], open_count=1, days=10)
    services.stage_health_compute(now=history.now)
    assert StageHealth.objects.get(stage=stages[2]).age_limit == timedelta(days=15)
    loads = dict(StageOwnerLoad.objects.filter(stage=stages[2]).values_list("owner__username", "average_daily_open"))
    assert loads == {"alice": 3.0, "bob": 1.0}
    # The next run replaces the loads instead of adding to them.
    services.stage_health_compute(now=history.now)
    assert StageOwnerLoad.objects.filter(stage=stages[2]).count() == 2
