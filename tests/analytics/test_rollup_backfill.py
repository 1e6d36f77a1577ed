"""The set-based backfill: one statement per grain over the whole range gives, day by day, the rows
of the nightly one-day rollup and of the former per-day query over the whole history (kept here as
the reference), and one day's rollup costs the same queries whatever the size of the history."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import services
from analytics.filters import local_midnight
from analytics.models import DailySnapshot, VisitSync
from deals.models import Deal, DealProduct
from tests import factories
from tests.analytics.test_rollup import snapshot_rows
from tests.analytics.test_visits import all_stages, random_deal, write_late

DAYS = 200

# The reference: the rollup of one day as it ran before, a ROW_NUMBER() over each deal's whole
# history before the end of the day.
_REFERENCE_STATE_AT_END = """
    SELECT s.deal_id, s.pipeline_id, s.to_stage_id AS stage_id, s.owner_id,
           1 AS open_count, s.value AS open_value,
           s.value * COALESCE(d.probability, st.probability) / 100.0 AS weighted_value,
           0 AS won_count, 0 AS won_value, 0 AS lost_count, 0 AS lost_value
    FROM (SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, sc.value, sc.to_status,
                 ROW_NUMBER() OVER (PARTITION BY sc.deal_id ORDER BY sc.at DESC, sc.id DESC) AS rn
          FROM deals_stagechange sc WHERE sc.at < %s) s
    JOIN deals_deal d ON d.id = s.deal_id
    JOIN deals_stage st ON st.id = s.to_stage_id
    WHERE s.rn = 1 AND s.to_status = 'open'
"""
_REFERENCE_EVENTS_OF_DAY = """
    SELECT sc.deal_id, sc.pipeline_id, sc.to_stage_id, sc.owner_id, 0, 0, 0,
           CASE WHEN sc.kind = 'won' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'won' THEN sc.value ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN 1 ELSE 0 END,
           CASE WHEN sc.kind = 'lost' THEN sc.value ELSE 0 END
    FROM deals_stagechange sc
    WHERE sc.at >= %s AND sc.at < %s AND sc.kind IN ('won', 'lost')
"""


def reference_rollup_day(day):
    for per_product in (False, True):
        product_column = "li.product_id" if per_product else "NULL"
        product_join = "JOIN deals_dealproduct li ON li.deal_id = x.deal_id" if per_product else ""
        product_group = ", li.product_id" if per_product else ""
        sql = f"""
            INSERT INTO analytics_dailysnapshot
                (day, pipeline_id, stage_id, owner_id, region, source, product_id,
                 open_count, open_value, weighted_value, won_count, won_value, lost_count, lost_value)
            SELECT %s, x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''),
                   {product_column},
                   SUM(x.open_count), SUM(x.open_value), SUM(x.weighted_value),
                   SUM(x.won_count), SUM(x.won_value), SUM(x.lost_count), SUM(x.lost_value)
            FROM ({_REFERENCE_STATE_AT_END} UNION ALL {_REFERENCE_EVENTS_OF_DAY}) x
            JOIN deals_deal d ON d.id = x.deal_id
            LEFT JOIN leads_organization o ON o.id = d.organization_id
            LEFT JOIN leads_lead l ON l.id = d.source_lead_id
            {product_join}
            GROUP BY x.pipeline_id, x.stage_id, x.owner_id, COALESCE(o.region, ''), COALESCE(l.source, ''){product_group}
        """  # noqa: S608
        ops = connection.ops
        start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
        params = [ops.adapt_datefield_value(day)] + [ops.adapt_datetimefield_value(at) for at in (end, start, end)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _with_attributes(rng):
    """Regions, lead sources, products and probability overrides on some deals, so that every
    column of the grain varies."""
    products = [factories.ProductFactory(name=f"Product {n}") for n in range(2)]
    organizations = [factories.OrganizationFactory(region=region) for region in ("north", "south")]
    for deal in Deal.objects.all():
        if rng.random() < 0.5:
            deal.organization = rng.choice(organizations)
        if rng.random() < 0.4:
            deal.source_lead = factories.LeadFactory(source=rng.choice(["web_form", "referral"]))
        if rng.random() < 0.3:
            deal.probability = rng.choice([25, 70])
        deal.save()
        for product in rng.sample(products, rng.randint(0, 2)):
            DealProduct.objects.create(deal=deal, product=product, unit_price=product.unit_price)


@pytest.fixture
def long_history(history, rep, teammate, stages):
    """Random histories (moves forward, back and within a stage, wins, losses, reopenings, several
    rows on one day and at the same instant, visits across midnights, rows written late with an
    older `at`), plus a deal moved twice on one day and reopened."""
    rng = random.Random(20261205)
    every_stage, late = all_stages(), []
    for i in range(60):
        random_deal(rng, history, rep if i % 2 else teammate, every_stage, late)
    write_late(late)
    twice = history.deal(owner=rep, steps=[(30, stages[0]), (20, stages[1])], outcome=("lost", 10))
    at = history.at(20)
    for kind, stage, previous, from_status, to_status, when in (
        ("moved", stages[2], stages[1], "open", "open", at + timedelta(hours=2)),
        ("moved", stages[3], stages[2], "open", "open", at + timedelta(hours=3)),
        ("reopened", stages[1], stages[3], "lost", "open", history.at(5)),
    ):
        twice.stage_changes.create(
            pipeline=stage.pipeline,
            kind=kind,
            from_stage=previous,
            to_stage=stage,
            from_status=from_status,
            to_status=to_status,
            owner=rep,
            value=twice.value,
            at=when,
        )
    _with_attributes(rng)
    return history


def test_backfill_equals_the_nightly_rollup_and_the_former_query_day_by_day(long_history):
    today = long_history.now.date()
    first = today - timedelta(days=DAYS - 1)
    written = services.snapshot_rollup_range(first_day=first, last_day=today)
    backfill = snapshot_rows()
    assert written == len(backfill)
    assert len({row[0] for row in backfill}) == DAYS  # every day has rows
    assert any(row[6] is not None for row in backfill)  # the product grain
    assert any(row[8] for row in backfill) and any(row[10] for row in backfill) and any(row[12] for row in backfill)

    DailySnapshot.objects.all().delete()
    for n in range(DAYS):
        services.snapshot_rollup_day(day=first + timedelta(days=n))
    assert snapshot_rows() == backfill

    DailySnapshot.objects.all().delete()
    for n in range(DAYS):
        reference_rollup_day(first + timedelta(days=n))
    assert snapshot_rows() == backfill


def test_backfill_replaces_only_the_days_of_its_range(long_history):
    today = long_history.now.date()
    services.snapshot_rollup_range(first_day=today - timedelta(days=20), last_day=today)
    before = snapshot_rows()
    services.snapshot_rollup_range(first_day=today - timedelta(days=12), last_day=today - timedelta(days=8))
    assert snapshot_rows() == before


def test_backfill_rejects_a_reversed_range(db):
    today = timezone.localdate()
    with pytest.raises(ValueError):
        services.snapshot_rollup_range(first_day=today, last_day=today - timedelta(days=1))


def _rollup_queries(day):
    with CaptureQueriesContext(connection) as queries:
        services.snapshot_rollup_day(day=day)
    return len(queries)


def test_a_days_rollup_costs_the_same_queries_for_a_short_and_a_long_history(history, rep, teammate, stages):
    yesterday = history.now.date() - timedelta(days=1)
    for _ in range(3):
        history.deal(owner=rep, steps=[(40, stages[0]), (1, stages[1])], outcome=("won", 1))
    services.visits_sync()
    small = _rollup_queries(yesterday)
    for n in range(30):
        history.deal(
            owner=teammate if n % 2 else rep,
            steps=[(300 - n, stages[0]), (200 - n, stages[1]), (100 - n, stages[2])],
            outcome=("lost", 50) if n % 3 else None,
        )
    services.visits_sync()
    assert _rollup_queries(yesterday) == small


def test_the_nightly_rollup_catches_a_change_the_visits_missed(history, rep, stages):
    """A stage change committed after a higher id was already synced (two concurrent transactions)
    is below the watermark; the nightly job resyncs the deals changed since the day began."""
    deal = history.deal(owner=rep, steps=[(10, stages[0])], value="500")
    services.visits_sync()
    yesterday = history.now.date() - timedelta(days=1)
    deal.stage_changes.create(
        pipeline=stages[1].pipeline,
        kind="moved",
        from_stage=stages[0],
        to_stage=stages[1],
        from_status="open",
        to_status="open",
        owner=rep,
        value=deal.value,
        at=history.at(1),
    )
    newest = deal.stage_changes.order_by("-id").first().id
    VisitSync.objects.update_or_create(pk=1, defaults={"last_change_id": newest})  # as if synced already
    services.snapshot_rollup_nightly(today=history.now.date())
    row = DailySnapshot.objects.get(day=yesterday, product__isnull=True)
    assert (row.stage_id, row.open_count) == (stages[1].pk, 1)
