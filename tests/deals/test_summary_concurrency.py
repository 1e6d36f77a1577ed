"""Concurrent writers on PostgreSQL: the summary's triggers add deltas with
`INSERT … ON CONFLICT DO UPDATE SET n = s.n + excluded.n` in key order, so that no
increment is lost and two moves in opposite directions do not deadlock."""

import contextlib
import itertools
import random
import threading
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from deals import services, summary
from deals.defaults import ensure_defaults
from deals.models import Deal, DealSummary, LostReason, Pipeline, Stage
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
        (r.stage_id, r.owner_id): (r.n, Decimal(r.value_cents) / 100)
        for r in DealSummary.objects.filter(status="open", n__gt=0)
    }
    assert stored == direct
    assert sum(n for n, _total in stored.values()) == 24
