"""A CSV import whose real Celery worker is killed mid-import is recovered with every row
imported exactly once: redelivered by Redis to a new worker, re-queued on Ctrl-C of
`make run` (honcho: SIGTERM, 5 s, SIGKILL), or — on the embedded filesystem broker, which
loses the task — marked failed as stale and retried by the user."""

import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from leads import services
from leads.models import Lead, LeadImport, LeadStatusChange
from tests.workers import ROOT, Processes

ROWS = 3000
# Ten rows per committed batch: the import takes seconds, so the kill lands in the middle.
BATCH = "10"

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def queued_import(rep):
    raw = ("last_name,email\n" + "".join(f"L{i},row{i}@killed.example\n" for i in range(ROWS))).encode()
    lead_import = services.lead_import_create(actor=rep, raw=raw, file_name="big.csv")
    # What "Import the valid rows" does (the task is then sent to the worker under test).
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.QUEUED, heartbeat_at=timezone.now())
    return lead_import


def imported(lead_import):
    return LeadImport.objects.values_list("imported_rows", flat=True).get(pk=lead_import.pk)


def status(lead_import):
    return LeadImport.objects.values_list("status", flat=True).get(pk=lead_import.pk)


def assert_every_row_once(lead_import):
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows, lead_import.skipped_rows) == ("done", ROWS, 0)
    assert Lead.objects.count() == ROWS
    assert Lead.objects.filter(lead_import=lead_import).values("import_row").distinct().count() == ROWS
    assert LeadStatusChange.objects.filter(reason="csv import").count() == ROWS


def kill_mid_import(processes, name, lead_import, sig=signal.SIGKILL):
    processes.wait_until(lambda: imported(lead_import) >= 300, timeout=30, what="the first 300 rows")
    processes.kill(name, sig)
    done = imported(lead_import)
    assert 0 < done < ROWS, f"the kill should land mid-import ({done} rows)"
    assert Lead.objects.count() == done  # batches commit as they go: what is counted is there
    return done


@pytest.fixture
def redis_processes(tmp_path, worker_broker):
    processes = Processes(
        tmp_path, CELERY_BROKER_URL=worker_broker, CELERY_VISIBILITY_TIMEOUT="3", LEADS_IMPORT_BATCH_SIZE=BATCH
    )
    yield processes
    processes.stop_all()


def stop_like_docker(processes, name):
    """`docker stop`: SIGTERM to the main process only (a warm shutdown waits for the running
    task), SIGKILL to everything after the grace (2 s here, 10 s in docker)."""
    os.kill(processes.running[name].pid, signal.SIGTERM)
    time.sleep(2)
    processes.kill(name)


@pytest.mark.parametrize("stop", ["sigkill", "sigterm-then-sigkill"])
def test_import_killed_with_its_worker_is_redelivered_and_imports_every_row_once(redis_processes, queued_import, stop):
    redis_processes.start_worker("worker1")
    redis_processes.call("leads.tasks.lead_import_run", queued_import.pk)

    if stop == "sigkill":
        kill_mid_import(redis_processes, "worker1", queued_import)
    else:
        redis_processes.wait_until(lambda: imported(queued_import) >= 300, timeout=30, what="the first 300 rows")
        stop_like_docker(redis_processes, "worker1")
        assert 0 < imported(queued_import) < ROWS, "the import outlived the grace"
    assert status(queued_import) == "running"

    # Redis hands the unacknowledged task to a worker once the visibility timeout (3 s here) has
    # passed; kombu looks for such tasks when a worker starts (and then about every 100 s).
    time.sleep(3.5)
    redis_processes.start_worker("worker2")
    redis_processes.wait_until(lambda: status(queued_import) == "done", timeout=40, what="the import to finish")

    assert_every_row_once(queued_import)
    assert queued_import.attempts == 2


def test_ctrl_c_of_make_run_requeues_the_running_import(redis_processes, queued_import):
    """honcho stops `make run` with SIGTERM to each process group, then SIGKILL after 5 s."""
    # The Procfile's worker and beat: once beat has stopped, honcho kills what still runs after 5 s.
    procfile = redis_processes.tmp_path / "Procfile"
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith(("worker:", "beat:"))]
    procfile.write_text("\n".join(lines) + "\n")
    (redis_processes.tmp_path / "var").mkdir()  # as `make run` does
    redis_processes.env["CRM_VAR_DIR"] = str(redis_processes.tmp_path / "var")
    honcho = [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(ROOT)]
    # As `make run` does: the Procfile's commands come from the virtualenv.
    redis_processes.env["PATH"] = f"{Path(sys.executable).parent}:{redis_processes.env['PATH']}"
    redis_processes.start("make-run", honcho)
    redis_processes.wait_for_log("make-run", "ready.", timeout=30)
    redis_processes.call("leads.tasks.lead_import_run", queued_import.pk)

    processes = redis_processes
    processes.wait_until(lambda: imported(queued_import) >= 300, timeout=30, what="the first 300 rows")
    processes.kill("make-run", signal.SIGINT)  # Ctrl-C reaches honcho only (each process has its own session)
    processes.running["make-run"].wait(timeout=15)
    log = processes.log_text("make-run")
    assert "sending SIGTERM to worker" in log, log
    assert "beat.1 stopped" in log, log
    assert status(queued_import) == "running"
    assert 0 < imported(queued_import) < ROWS

    processes.start_worker("next-start")
    processes.wait_until(lambda: status(queued_import) == "done", timeout=40, what="the import to finish")

    assert_every_row_once(queued_import)
    assert queued_import.attempts == 2


def test_on_the_filesystem_broker_a_killed_import_is_failed_as_stale_and_retried(
    tmp_path, queued_import, client, rep, settings
):
    """The embedded broker keeps a fetched task only in the worker's memory: SIGKILL loses it.
    The import then stops making progress, is marked failed, and the user's retry imports the
    rest (here in the request: the retry runs the remaining rows itself)."""
    var = tmp_path / "var"
    processes = Processes(
        tmp_path, cwd=tmp_path, CELERY_BROKER_URL="filesystem://", CRM_VAR_DIR=str(var), LEADS_IMPORT_BATCH_SIZE=BATCH
    )
    try:
        processes.start_worker("embedded")
        processes.call("leads.tasks.lead_import_run", queued_import.pk)
        done = kill_mid_import(processes, "embedded", queued_import)
        assert list((var / "celery" / "queue").iterdir()) == []  # the message left the queue when fetched

        processes.start_worker("embedded-restart")
        processes.wait_for_log("embedded-restart", "ready.", timeout=10)
    finally:
        processes.stop_all()
    assert imported(queued_import) == done  # nobody continued it

    assert services.lead_import_fail_stale(now=timezone.now() + timedelta(minutes=11)) == 1
    assert LeadImport.objects.get(pk=queued_import.pk).failure == "stalled"
    settings.LEADS_IMPORT_SYNC_MAX_ROWS = ROWS
    client.force_login(rep)
    client.post(f"/leads/import/{queued_import.pk}/retry/")

    assert_every_row_once(queued_import)
    # Everything the broker wrote is under CRM_VAR_DIR, nothing in the working directory.
    assert (var / "celery" / "control").is_dir()
    assert not (tmp_path / "control").exists()
