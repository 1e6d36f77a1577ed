"""Two rollups of the same day at once (a manual backfill overlapping the nightly job) must not
both insert: the per-day advisory lock serialises them, on PostgreSQL."""

from datetime import timedelta

import pytest

from analytics import services
from analytics.models import DailySnapshot
from tests.concurrency import run_in_threads

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_reruns_of_a_day_leave_one_set_of_rows(history, rep, teammate, stages):
    for owner in (rep, teammate):
        for stage in stages[:4]:
            history.deal(owner=owner, steps=[(5, stages[0]), (3, stage)])
    yesterday = history.now.date() - timedelta(days=1)
    expected = services.snapshot_rollup_day(day=yesterday)
    run_in_threads(lambda: services.snapshot_rollup_day(day=yesterday))
    assert DailySnapshot.objects.filter(day=yesterday).count() == expected
    assert (
        sum(DailySnapshot.objects.filter(day=yesterday, product__isnull=True).values_list("open_count", flat=True)) == 8
    )
