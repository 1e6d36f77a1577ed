"""Concurrent writers on PostgreSQL: the summary's triggers add deltas with
`INSERT … ON CONFLICT DO UPDATE SET n = s.n + excluded.n` in key order, so that no
increment is lost and two moves in opposite directions do not deadlock; a deal's write and
a change of its organization's region wait for each other (a share lock on the
organization), so that the deal lands in the region it really has."""

import contextlib
import itertools
import random
import threading
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Sum

from deals import services, summary
from deals.defaults import ensure_defaults
from deals.models import Deal, DealSummary, LostReason, Pipeline, Stage
from leads.models import Organization
from tests import factories
from tests.concurrency import run_in_threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_moves_lose_no_increment_of_the_summary(rep, teammate):
    ensure_defaults(Pipeline, Stage, LostReason)
    pipeline = factories.default_pipeline()
    stages = list(pipeline.stages.order_by("order"))[:3]
    deals = [
        factories.DealFactory(owner=owner, stage=stages[i % 3], value=Decimal("10.50") * (i + 1))
        for i, owner in zip(range(24), itertools.cycle([rep, teammate]), strict=False)
    ]
    ids = iter(range(1000))
    lock = threading.Lock()

    def mover():
        with lock:
            rng = random.Random(next(ids))
        for _ in range(25):
            deal = Deal.objects.get(pk=rng.choice(deals).pk)
            target = rng.choice([s for s in stages if s.pk != deal.stage_id])
            with contextlib.suppress(services.DealStale):  # another thread moved it first: nothing written
                services.deal_move(deal_id=deal.pk, stage_id=target.pk, version=deal.version, actor=deal.owner)

    run_in_threads(mover, count=4)

    assert summary.differences() == []
    direct = {
        (r["stage_id"], r["owner_id"]): (r["n"], r["total"])
        for r in Deal.objects.values("stage_id", "owner_id").annotate(n=Count("pk"), total=Sum("value"))
    }
    stored = {
        (r["stage_id"], r["owner_id"]): (r["n"], Decimal(r["cents"]) / 100)
        for r in DealSummary.objects.filter(status="open")
        .values("stage_id", "owner_id")
        .annotate(n=Sum("n"), cents=Sum("value_cents"))
        .filter(n__gt=0)
    }
    assert stored == direct
    assert sum(n for n, _total in stored.values()) == 24


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_region_changes_during_moves_keep_the_summary_exact(rep, teammate):
    ensure_defaults(Pipeline, Stage, LostReason)
    pipeline = factories.default_pipeline()
    stages = list(pipeline.stages.order_by("order"))[:3]
    organizations = [factories.OrganizationFactory(region=region) for region in ["north", "south", "at"]]
    deals = [
        factories.DealFactory(owner=rep, stage=stages[i % 3], organization=organizations[i % 3], value=Decimal(i + 1))
        for i in range(18)
    ]
    ids = iter(range(1000))
    lock = threading.Lock()

    def mover():
        with lock:
            rng = random.Random(next(ids))
        for _ in range(20):
            deal = Deal.objects.get(pk=rng.choice(deals).pk)
            target = rng.choice([s for s in stages if s.pk != deal.stage_id])
            with contextlib.suppress(services.DealStale):
                services.deal_move(deal_id=deal.pk, stage_id=target.pk, version=deal.version, actor=deal.owner)

    def regions():
        rng = random.Random(99)
        for _ in range(20):
            with transaction.atomic():
                Organization.objects.filter(pk=rng.choice(organizations).pk).update(
                    region=rng.choice(["north", "south", "at", "east", ""])
                )

    with lock:
        targets = iter([mover, mover, mover, regions])

    def worker():
        with lock:
            target = next(targets)
        target()

    run_in_threads(worker, count=4)

    assert summary.differences() == []
