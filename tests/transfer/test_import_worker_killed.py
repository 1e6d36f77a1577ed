"""An import whose real Celery worker is killed in the middle of its transaction leaves nothing
behind, and the task Redis hands to the next worker imports every row exactly once."""

import time

import pytest
from django.db import DatabaseError, transaction

from customers.models import Organization
from tests.workers import Processes
from transfer import services
from transfer.models import ImportJob

ROWS = 20_000

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def processes(tmp_path, worker_broker):
    processes = Processes(tmp_path, CELERY_BROKER_URL=worker_broker, CELERY_VISIBILITY_TIMEOUT="3")
    yield processes
    processes.stop_all()


def _locked(job):
    """Does a transaction hold the job's row (a live import)? NOWAIT answers at once."""
    try:
        with transaction.atomic():
            list(ImportJob.objects.select_for_update(nowait=True).filter(pk=job.pk))
    except DatabaseError:
        return True
    return False


def _status(job):
    return ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)


def test_import_killed_with_its_worker_is_redelivered_and_imports_every_row_once(processes, rep):
    raw = ("Company,City\n" + "".join(f"Firm {i},Town {i % 50}\n" for i in range(ROWS))).encode()
    job = services.import_create(actor=rep, record_type="organizations", file_name="big.csv", raw=raw)
    # A checked file the user chose to import (the task is then sent to the worker under test).
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, mapping=["name", "city"])

    processes.start_worker("worker1")
    processes.call("transfer.import_run", job.pk)
    processes.wait_until(lambda: _locked(job), timeout=30, interval=0.02, what="the import's transaction")
    processes.kill("worker1")
    assert Organization.objects.count() == 0  # its transaction died with it
    assert _status(job) == ImportJob.Status.IMPORTING

    time.sleep(3.5)  # Redis redelivers the unacknowledged task after the visibility timeout
    processes.start_worker("worker2")
    processes.wait_until(lambda: _status(job) == ImportJob.Status.DONE, timeout=60, what="the import to finish")
    job.refresh_from_db()
    assert (job.created_rows, job.attempts) == (ROWS, 2)
    assert Organization.objects.count() == ROWS
    assert Organization.objects.values("name").distinct().count() == ROWS
