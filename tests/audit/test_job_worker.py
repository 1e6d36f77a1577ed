"""A real Celery worker (a separate process, on Redis and the PostgreSQL test database)
records its changes as a background job."""

import time

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from audit.models import LogEntry
from leads import tasks
from leads.models import Lead, ScoringSettings
from tests import factories
from tests.activities.test_celery_end_to_end import logs_text, start_celery, stop_celery
from tests.testenv import IN_CI

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def worker(tmp_path):
    """One worker on the configured Redis broker (the task is sent by this process)."""
    import redis

    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith("redis://"):
        if IN_CI:
            pytest.fail("CELERY_BROKER_URL must point at Redis under CI=true.")
        pytest.skip("needs CELERY_BROKER_URL=redis://…")
    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
    client.flushdb()
    _mail_dir, processes, logs = start_celery(tmp_path, broker_url, workers=1, beats=0)
    yield processes, logs
    stop_celery(processes, logs)
    client.flushdb()
    client.close()


def test_rescoring_in_the_worker_is_recorded_as_a_job(rep, worker):
    processes, logs = worker
    lead = factories.LeadFactory(owner=rep, need=3)
    old_score = lead.score
    ScoringSettings.objects.filter(pk=1).update(need_weight=40, budget_weight=20, authority_weight=20, timing_weight=20)
    tasks.scoring_rescore_all.delay()
    content_type = ContentType.objects.get_for_model(Lead)
    started = time.monotonic()
    while time.monotonic() - started < 30:
        entry = LogEntry.objects.filter(content_type=content_type, object_id=lead.pk, action=1).first()
        if entry is not None:
            break
        assert all(p.poll() is None for p in processes.values()), logs_text(logs)
        time.sleep(0.5)
    else:
        pytest.fail(f"The worker recorded nothing within 30 s\n{logs_text(logs)}")
    assert (entry.source, entry.actor_id) == ("job", None)
    assert entry.changes == {"score": [old_score, 40]}
