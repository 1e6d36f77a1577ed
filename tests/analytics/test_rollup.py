"""The nightly snapshot rollup: set-based, idempotent, backfill == nightly, snapshot == live."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from analytics import filters, services, tasks
from analytics.models import DailySnapshot
from analytics.selectors import dashboard, outcomes
from deals.models import Deal
from tests import factories

FIELDS = (
    "day",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "region",
    "source",
    "product_id",
    "open_count",
    "open_value",
    "weighted_value",
    "won_count",
    "won_value",
    "lost_count",
    "lost_value",
)


def snapshot_rows():
    return sorted(DailySnapshot.objects.values_list(*FIELDS), key=lambda r: tuple(str(v) for v in r))


@pytest.fixture
def book(history, rep, teammate, stages):
    """Deals moving over the last days: moved two days ago, won yesterday, lost today, one with a product."""
    product = factories.ProductFactory(name="CRM Cloud")
    north = factories.OrganizationFactory(region="north")
    return {
        "moved": history.deal(owner=rep, steps=[(5, stages[0]), (2, stages[1])], value="1000"),
        "won_yesterday": history.deal(owner=rep, steps=[(6, stages[2])], value="3000", outcome=("won", 1)),
        "lost_today": history.deal(owner=teammate, steps=[(6, stages[3])], value="4000", outcome=("lost", 0)),
        "with_product": history.deal(
            owner=teammate, steps=[(4, stages[0])], value="2000", probability=40, organization=north, products=[product]
        ),
        "product": product,
    }


def test_rollup_records_the_state_at_the_end_of_each_day(book, history, stages):
    today = history.now.date()
    services.snapshot_rollup_range(first_day=today - timedelta(days=3), last_day=today - timedelta(days=2))
    three_days_ago = DailySnapshot.objects.filter(day=today - timedelta(days=3), product__isnull=True)
    two_days_ago = DailySnapshot.objects.filter(day=today - timedelta(days=2), product__isnull=True)
    moved = book["moved"]
    assert three_days_ago.get(owner=moved.owner, stage=stages[0]).open_value == Decimal("1000.00")
    assert not two_days_ago.filter(owner=moved.owner, stage=stages[0]).exists()
    assert two_days_ago.get(owner=moved.owner, stage=stages[1]).open_count == 1


def test_rollup_rerun_replaces_the_day(book, history):
    yesterday = history.now.date() - timedelta(days=1)
    first = services.snapshot_rollup_day(day=yesterday)
    before = snapshot_rows()
    second = services.snapshot_rollup_day(day=yesterday)
    assert first == second > 0
    assert snapshot_rows() == before


def test_backfill_equals_nightly_runs(book, history):
    today = history.now.date()
    for days_ago in (3, 2, 1):
        services.snapshot_rollup_nightly(today=today - timedelta(days=days_ago - 1))
    nightly = snapshot_rows()
    DailySnapshot.objects.all().delete()
    call_command(
        "rollup", "--from", str(today - timedelta(days=3)), "--to", str(today - timedelta(days=1)), verbosity=0
    )
    assert snapshot_rows() == nightly
    assert {row[0] for row in nightly} == {today - timedelta(days=d) for d in (3, 2, 1)}


def test_snapshot_of_today_equals_the_live_open_pipeline(book, history, admin):
    services.snapshot_rollup_day(day=history.now.date())
    snap = dict(
        DailySnapshot.objects.filter(day=history.now.date(), product__isnull=True, open_count__gt=0)
        .values("stage_id")
        .annotate(n=Sum("open_count"), value=Sum("open_value"))
        .values_list("stage_id", "value")
    )
    live = dict(
        Deal.objects.filter(status="open")
        .values("stage_id")
        .annotate(n=Count("id"), value=Sum("value"))
        .values_list("stage_id", "value")
    )
    assert snap == live
    filterset = filters.DashboardFilter({}, user=admin)
    assert filterset.is_valid()
    kpis = dashboard.dashboard(user=admin, filterset=filterset)["kpis"]
    totals = DailySnapshot.objects.filter(day=history.now.date(), product__isnull=True).aggregate(
        count=Sum("open_count"), weighted=Sum("weighted_value")
    )
    # 1,000 × 20 % + 2,000 × 40 % (override)
    assert (totals["count"], totals["weighted"]) == (kpis["open_count"], kpis["weighted"]) == (2, Decimal("1000.00"))


def test_snapshot_events_equal_the_live_outcomes_of_the_day(book, history):
    yesterday = history.now.date() - timedelta(days=1)
    services.snapshot_rollup_day(day=yesterday)
    period = filters.Period(first_day=yesterday, last_day=yesterday)
    live = outcomes.outcomes(deals=Deal.objects.all(), start=period.start, end=period.end)
    snap = DailySnapshot.objects.filter(day=yesterday, product__isnull=True).aggregate(
        won=Sum("won_count"), won_value=Sum("won_value"), lost=Sum("lost_count")
    )
    assert (
        (snap["won"], snap["won_value"], snap["lost"])
        == (live.won, live.won_value, live.lost)
        == (
            1,
            Decimal("3000.00"),
            0,
        )
    )


def test_rollup_writes_product_rows_beside_the_totals(book, history):
    services.snapshot_rollup_day(day=history.now.date())
    product_rows = DailySnapshot.objects.filter(day=history.now.date(), product=book["product"])
    assert list(product_rows.values_list("open_count", "open_value", "region")) == [(1, Decimal("2000.00"), "north")]


def test_trend_reads_snapshots_with_the_filters(book, history, admin):
    services.snapshot_rollup_day(day=history.now.date())
    filterset = filters.DashboardFilter({"product": str(book["product"].pk)}, user=admin)
    assert filterset.is_valid()
    trend = dashboard.dashboard(user=admin, filterset=filterset, only="trend")["sections"][0]
    assert trend.rows == [[history.now.date(), 1, Decimal("2000.00"), Decimal("800.00"), Decimal("0.00")]]


def test_rollup_command_rejects_a_reversed_range():
    with pytest.raises(CommandError):
        call_command("rollup", "--from", "2026-01-05", "--to", "2026-01-01")


def test_rollup_command_rejects_junk_dates():
    with pytest.raises(CommandError):
        call_command("rollup", "--from", "yesterday")


def test_nightly_task_rolls_up_yesterday(book, history):
    tasks.rollup_nightly.apply()
    assert set(DailySnapshot.objects.values_list("day", flat=True)) == {history.now.date() - timedelta(days=1)}


def test_rollup_command_days_backfills_up_to_yesterday(book, history):
    call_command("rollup", "--days", "3", verbosity=0)
    today = history.now.date()
    assert set(DailySnapshot.objects.values_list("day", flat=True)) == {today - timedelta(days=d) for d in (1, 2, 3)}


def test_rollup_does_not_count_a_deal_before_it_existed(book, history, stages):
    services.snapshot_rollup_day(day=history.now.date() - timedelta(days=7))
    # Every deal of the book was created 4–6 days ago.
    assert not DailySnapshot.objects.exists()


def test_snapshots_are_read_only_in_admin(book, history, client, admin):
    services.snapshot_rollup_day(day=history.now.date())
    client.force_login(admin)
    response = client.get("/admin/analytics/dailysnapshot/")
    assert response.status_code == 200
    assert "Add daily snapshot" not in response.content.decode()
    row = DailySnapshot.objects.first()
    assert client.post(f"/admin/analytics/dailysnapshot/{row.pk}/delete/", {"post": "yes"}).status_code == 403
