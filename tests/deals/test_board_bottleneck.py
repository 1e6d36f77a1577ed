"""The bottleneck badge judges exactly the deals its column shows: the same filters, the same
scope, the same count (docs/board.md). The analytics job only provides the norms: the age
limit (1.5 × the usual time in stage) and each owner's 90-day average open count."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal, StageHealth, StageOwnerLoad
from tests import factories


@pytest.fixture
def column_stage(stages):
    StageHealth.objects.create(stage=stages[2], age_limit=timedelta(days=15))
    return stages[2]


def add_deals(owner, stage, count, *, age_days, hours=0, **fields):
    deals = [factories.DealFactory(owner=owner, stage=stage, **fields) for _ in range(count)]
    entered = timezone.now() - timedelta(days=age_days, hours=hours)
    Deal.objects.filter(pk__in=[d.pk for d in deals]).update(stage_entered_at=entered)
    return deals


def column(client, stage, query=""):
    response = client.get(reverse("deals:board_pipeline", args=[stage.pipeline_id]) + query)
    return next(c for c in response.context["columns"] if c.stage == stage)


def test_the_age_badge_counts_the_deals_the_column_counts(client, rep, teammate, outsider, column_stage):
    add_deals(rep, column_stage, 3, age_days=20)
    add_deals(teammate, column_stage, 2, age_days=2)
    add_deals(outsider, column_stage, 10, age_days=40)  # another team: not on Alice's board
    client.force_login(rep)
    shown = column(client, column_stage)
    assert shown.count == 5
    assert shown.bottleneck.rule == "age"
    assert shown.bottleneck.text == "3 of 5 open deals in this stage longer than 1.5 × the usual 10.0 days"
    page = client.get(reverse("deals:board")).content.decode()
    assert 'data-testid="bottleneck" data-rule="age"' in page


def test_no_badge_when_half_or_fewer_are_old(client, rep, teammate, column_stage):
    add_deals(rep, column_stage, 3, age_days=20)
    add_deals(teammate, column_stage, 3, age_days=2)
    client.force_login(rep)
    assert column(client, column_stage).bottleneck is None


def test_a_filter_narrows_the_verdict_like_the_count(client, rep, teammate, column_stage):
    add_deals(rep, column_stage, 5, age_days=20)
    add_deals(teammate, column_stage, 5, age_days=2)
    client.force_login(rep)
    assert column(client, column_stage).bottleneck is None  # 5 of 10
    mine = column(client, column_stage, "?owner=me")
    assert (mine.count, mine.bottleneck.rule) == (5, "age")
    assert mine.bottleneck.text.startswith("5 of 5 open deals")


@pytest.mark.parametrize(
    ("query", "counted_by"),
    [("", "summary minus young"), ("?region=north", "summary minus young"), ("?industry=software", "old deals")],
)
def test_the_old_count_is_the_same_whether_the_summary_answers_or_not(client, rep, column_stage, query, counted_by):
    north = factories.OrganizationFactory(region="north", industry="software")
    add_deals(rep, column_stage, 4, age_days=20, organization=north)
    add_deals(rep, column_stage, 2, age_days=15, hours=1, organization=north)  # just past the limit
    add_deals(rep, column_stage, 3, age_days=2, organization=north)
    add_deals(
        rep, column_stage, 7, age_days=30, organization=factories.OrganizationFactory(region="at", industry="retail")
    )
    client.force_login(rep)
    filtered = column(client, column_stage, query + ("&" if query else "?") + "owner=me")
    assert filtered.bottleneck.text.startswith("6 of 9 open deals" if query else "13 of 16 open deals"), counted_by


def test_fewer_than_five_deals_are_never_a_bottleneck(client, rep, column_stage):
    add_deals(rep, column_stage, 4, age_days=90)
    client.force_login(rep)
    assert column(client, column_stage).bottleneck is None


def test_the_pile_up_badge_compares_with_the_same_owners_usual_load(client, rep, teammate, manager, column_stage):
    StageOwnerLoad.objects.create(stage=column_stage, owner=rep, average_daily_open=2.0)
    StageOwnerLoad.objects.create(stage=column_stage, owner=teammate, average_daily_open=2.0)
    add_deals(rep, column_stage, 6, age_days=1)
    client.force_login(manager)
    team = column(client, column_stage)
    assert (team.count, team.bottleneck) == (6, None)  # 6 is not above 1.5 × (2 + 2)
    mine = column(client, column_stage, f"?owner={rep.pk}")
    assert mine.bottleneck.rule == "pile_up"
    assert mine.bottleneck.text == "6 open deals > 1.5 × the 90-day daily average of 2.0"


def test_the_pile_up_rule_is_not_judged_under_filters_the_snapshots_do_not_keep(client, rep, column_stage):
    StageOwnerLoad.objects.create(stage=column_stage, owner=rep, average_daily_open=1.0)
    add_deals(rep, column_stage, 6, age_days=1, title="Rollout")
    client.force_login(rep)
    assert column(client, column_stage).bottleneck.rule == "pile_up"
    assert column(client, column_stage, "?q=Rollout").bottleneck is None


def test_closed_deals_on_the_board_carry_no_badge(client, rep, column_stage):
    add_deals(rep, column_stage, 6, age_days=30)
    client.force_login(rep)
    assert column(client, column_stage, "?status=all").bottleneck is None


def test_the_badge_speaks_the_viewers_language(client, rep, column_stage):
    add_deals(rep, column_stage, 6, age_days=30)
    client.force_login(rep)
    german = client.get(reverse("deals:board"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Engpass" in german
