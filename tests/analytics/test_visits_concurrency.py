"""Two visit syncs at once (the nightly job, the bottleneck job and a dashboard request) must not
both insert: the advisory lock serialises them and the second finds nothing left to do."""

import pytest

from analytics import services
from analytics.models import StageVisit
from deals.models import StageChange
from tests.concurrency import run_in_threads

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_concurrent_syncs_leave_one_visit_per_open_row(history, rep, teammate, stages):
    for owner in (rep, teammate):
        for stage in stages[:4]:
            history.deal(owner=owner, steps=[(5, stages[0]), (3, stage)], outcome=("won", 1))
    run_in_threads(services.visits_sync)
    assert StageVisit.objects.count() == StageChange.objects.filter(to_status="open").count() == 16
    history.deal(owner=rep, steps=[(2, stages[0])])
    run_in_threads(services.visits_sync)
    assert StageVisit.objects.count() == 17
