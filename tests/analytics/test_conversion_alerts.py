"""docs/metrics.md, "Conversion alert": a stage's conversion in the last complete week against its
pooled trailing eight weeks (one-sided two-proportion z-test, z ≤ −2.33, a drop of at least 10
points, at least 20 deals on each side) notifies managers and admins once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Notification
from analytics import alerts, tasks
from analytics.selectors import conversion_trend


@pytest.fixture
def weeks_ago(now):
    """Days ago of the Wednesday `n` complete weeks back (1 = last week)."""
    this_monday = conversion_trend.period_of("week", timezone.localdate(now)).first_day

    def days_ago(n):
        return (timezone.localdate(now) - (this_monday - timedelta(days=7 * n - 2))).days

    return days_ago


@pytest.fixture
def week_of_exits(history, rep, stages, weeks_ago):
    """week_of_exits(n, left, moved_on): `left` deals leave Prospecting in week n ago, `moved_on` of
    them to First contact, the others lost there."""

    def write(n, left, moved_on):
        d = weeks_ago(n)
        for i in range(left):
            if i < moved_on:
                history.deal(owner=rep, steps=[(d + 1, stages[0]), (d, stages[1])])
            else:
                history.deal(owner=rep, steps=[(d + 1, stages[0])], outcome=("lost", d))

    return write


@pytest.fixture
def cast(rep, manager, manager_south, admin):
    return {"rep": rep, "managers": [manager, manager_south], "admin": admin}


def test_a_clear_drop_notifies_managers_and_admins_once(week_of_exits, cast, now, client, stages):
    for n in range(2, 10):  # eight weeks at 60 %
        week_of_exits(n, 30, 18)
    week_of_exits(1, 30, 6)  # last week: 20 %
    verdict = next(v for v in alerts.conversion_verdicts(today=timezone.localdate(now)) if v.stage == stages[0])
    assert (verdict.left, verdict.moved_on, verdict.trailing_left, verdict.trailing_moved_on) == (30, 6, 240, 144)
    assert verdict.z == pytest.approx(-4.16, abs=0.01) and verdict.fires

    assert tasks.conversion_alerts() == 3  # the task as beat runs it: two managers and the admin
    alerts_sent = Notification.objects.filter(kind=Notification.Kind.ALERT)
    assert sorted(alerts_sent.values_list("user__username", flat=True)) == ["ada", "maria", "mark"]
    assert "Prospecting" in alerts_sent[0].message and "20 %" in alerts_sent[0].message

    assert tasks.conversion_alerts() == 0  # again the same night
    assert alerts.conversion_alerts_notify(now=now + timedelta(days=1)) == 0  # the next day
    assert alerts_sent.count() == 3

    client.force_login(cast["managers"][0])
    mine = alerts_sent.get(user=cast["managers"][0])
    response = client.post(reverse("activities:notification_open", args=[mine.pk]))
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('analytics:dashboard')}?pipeline={stages[0].pipeline_id}&trend=week#section-conversion_trend"
    )


def test_a_noisy_but_stable_conversion_does_not_fire(week_of_exits, cast, now):
    for n, moved_on in zip(range(2, 10), (15, 21, 14, 22, 16, 20, 13, 23), strict=True):  # 43–77 %, 60 % pooled
        week_of_exits(n, 30, moved_on)
    week_of_exits(1, 30, 15)  # 50 %: ten points below, but z ≈ −1.05
    assert tasks.conversion_alerts() == 0
    assert not Notification.objects.exists()


def test_too_few_deals_last_week_do_not_fire(week_of_exits, cast, now):
    for n in range(2, 10):
        week_of_exits(n, 30, 18)
    week_of_exits(1, 6, 0)  # 0 % of six deals: z ≈ −2.9, but fewer than 20 deals
    verdict = alerts.conversion_verdicts(today=timezone.localdate(now))[0]
    assert verdict.z < alerts.Z_LIMIT and not verdict.fires
    assert tasks.conversion_alerts() == 0


def test_a_drop_below_ten_points_does_not_fire_however_significant():
    counts = {"left": 300, "moved_on": 155, "trailing_left": 2400, "trailing_moved_on": 1440}  # 51.7 % against 60 %
    z = alerts.z_score(**counts)
    assert z == pytest.approx(-2.77, abs=0.01)
    assert not alerts.Verdict(stage=None, period=None, z=z, **counts).fires
    counts["moved_on"] = 149  # 49.7 %: 10.3 points
    assert alerts.Verdict(stage=None, period=None, z=alerts.z_score(**counts), **counts).fires


def test_the_z_score_is_the_pooled_two_proportion_statistic():
    # 6/30 against 144/240: pooled p = 150/270; SE = sqrt(p(1−p)(1/30 + 1/240)) = 0.09623
    z = alerts.z_score(moved_on=6, left=30, trailing_moved_on=144, trailing_left=240)
    assert z == pytest.approx((0.2 - 0.6) / 0.09623, abs=0.001)
    assert alerts.z_score(moved_on=0, left=0, trailing_moved_on=5, trailing_left=10) is None
    assert alerts.z_score(moved_on=10, left=10, trailing_moved_on=20, trailing_left=20) is None
