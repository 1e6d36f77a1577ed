"""Two rollups of the same day at once (a manual backfill overlapping the nightly job) must not
both insert: the per-day advisory lock serialises them, on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from analytics import services
from analytics.models import DailySnapshot

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def run_in_threads(target, count=4):
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


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
