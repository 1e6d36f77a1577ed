"""On PostgreSQL a running import holds its job's row lock: the stale check skips it while its
worker is alive and fails it once the worker's connection is gone."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from transfer import services
from transfer.models import ImportJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_job_locked_by_a_live_import_is_not_failed_as_stale(rep):
    job = ImportJob.objects.create(
        created_by=rep,
        record_type="organizations",
        status=ImportJob.Status.IMPORTING,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    locked, release = threading.Event(), threading.Event()

    def live_import():
        try:
            with transaction.atomic():
                list(ImportJob.objects.select_for_update().filter(pk=job.pk))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=live_import)
    worker.start()
    assert locked.wait(10)
    try:
        assert services.import_fail_stale() == 0
    finally:
        release.set()
        worker.join(10)
    assert services.import_fail_stale() == 1  # the worker is gone: its lock with it
    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, "stalled")
