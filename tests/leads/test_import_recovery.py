"""CSV imports whose run died: batches commit as they go, a stale import is marked failed,
a retry or a redelivered task continues without importing a row twice."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from leads import services
from leads.models import Lead, LeadImport, LeadStatusChange
from tests.concurrency import run_in_threads

ROWS = 9
BROKEN_ROW = r"lead_criteria_on_scale|CHECK constraint"


def _csv(count, domain="x.example"):
    return ("last_name,email\n" + "".join(f"L{i},l{i}@{domain}\n" for i in range(count))).encode()


@pytest.fixture
def lead_import(rep):
    return services.lead_import_create(actor=rep, raw=_csv(ROWS), file_name="f.csv")


def _queue(lead_import, **fields):
    LeadImport.objects.filter(pk=lead_import.pk).update(status=LeadImport.Status.QUEUED, **fields)


def _break_row(lead_import, index):
    """Make one stored row fail at the database (a criterion off the scale), as a row that
    kills the run halfway would."""
    rows = LeadImport.objects.get(pk=lead_import.pk).rows
    rows[index]["need"] = 9
    LeadImport.objects.filter(pk=lead_import.pk).update(rows=rows)


def _repair_row(lead_import, index):
    rows = LeadImport.objects.get(pk=lead_import.pk).rows
    rows[index]["need"] = 0
    LeadImport.objects.filter(pk=lead_import.pk).update(rows=rows)


def _assert_imported_once(lead_import, count=ROWS):
    lead_import.refresh_from_db()
    assert (lead_import.imported_rows, lead_import.skipped_rows) == (count, 0)
    assert all(entry["ok"] for entry in lead_import.report)
    assert Lead.objects.filter(lead_import=lead_import).count() == count
    assert Lead.objects.count() == count
    assert sorted(Lead.objects.values_list("import_row", flat=True)) == list(range(2, count + 2))
    assert LeadStatusChange.objects.filter(reason="csv import").count() == count


def test_batches_commit_as_they_go_and_a_failed_run_keeps_the_done_rows(lead_import):
    _break_row(lead_import, 6)  # the fourth batch of two
    _queue(lead_import)

    with pytest.raises(IntegrityError, match=BROKEN_ROW):
        services.lead_import_run(import_id=lead_import.pk, batch_size=2)

    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.failure) == ("failed", "error")
    assert lead_import.imported_rows == 6
    assert Lead.objects.filter(lead_import=lead_import).count() == 6
    assert lead_import.rows, "the rows stay for a retry"


def test_retry_imports_the_remaining_rows_without_duplicates(client, rep, lead_import):
    _break_row(lead_import, 6)
    _queue(lead_import)
    with pytest.raises(IntegrityError, match=BROKEN_ROW):
        services.lead_import_run(import_id=lead_import.pk, batch_size=2)
    _repair_row(lead_import, 6)
    client.force_login(rep)

    page = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "6 of 9 rows were imported" in page
    assert "Retry: import the remaining 3 rows" in page

    response = client.post(f"/leads/import/{lead_import.pk}/retry/")

    assert response.status_code == 302
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows, lead_import.failure) == ("done", ROWS, "")
    assert lead_import.rows == []
    _assert_imported_once(lead_import)


def test_retrying_twice_or_a_finished_import_imports_nothing_more(client, rep, lead_import):
    services.lead_import_confirm(import_id=lead_import.pk, actor=rep)
    client.force_login(rep)

    client.post(f"/leads/import/{lead_import.pk}/retry/")
    client.post(f"/leads/import/{lead_import.pk}/retry/")

    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.imported_rows) == ("done", ROWS)
    _assert_imported_once(lead_import)


def test_another_user_cannot_retry_an_import(client, rep, teammate, lead_import):
    LeadImport.objects.filter(pk=lead_import.pk).update(status="failed", failure="stalled")
    client.force_login(teammate)

    assert client.post(f"/leads/import/{lead_import.pk}/retry/").status_code == 404
    assert client.get(f"/leads/import/{lead_import.pk}/retry/").status_code in (404, 405)
    assert LeadImport.objects.get(pk=lead_import.pk).status == "failed"
    assert Lead.objects.count() == 0


def test_a_redelivered_run_continues_after_the_last_committed_batch(lead_import):
    _break_row(lead_import, 4)
    _queue(lead_import)
    with pytest.raises(IntegrityError, match=BROKEN_ROW):
        services.lead_import_run(import_id=lead_import.pk, batch_size=2)
    _repair_row(lead_import, 4)
    # As if the worker had died there: still "running", the task comes back.
    LeadImport.objects.filter(pk=lead_import.pk).update(status="running", failure="", run_token=uuid.uuid4())

    assert services.lead_import_run(import_id=lead_import.pk, batch_size=2) == ROWS

    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.attempts) == ("done", 2)
    _assert_imported_once(lead_import)


def test_a_run_that_lost_its_import_stops_at_its_next_batch(lead_import):
    """A run whose import was taken over (new token) or marked failed writes nothing more."""
    _queue(lead_import)
    old_token = uuid.uuid4()
    LeadImport.objects.filter(pk=lead_import.pk).update(status="running", run_token=uuid.uuid4())
    lead_import.refresh_from_db()
    from leads.models import ScoringSettings

    config = ScoringSettings.get_solo()
    rows = lead_import.rows[:2]

    assert not services.imports._import_batch(lead_import=lead_import, token=old_token, rows=rows, config=config)
    LeadImport.objects.filter(pk=lead_import.pk).update(status="failed", run_token=old_token)
    assert not services.imports._import_batch(lead_import=lead_import, token=old_token, rows=rows, config=config)
    assert Lead.objects.count() == 0


def test_an_import_that_keeps_killing_its_worker_is_given_up(client, rep, lead_import, settings):
    settings.LEADS_IMPORT_MAX_ATTEMPTS = 3
    LeadImport.objects.filter(pk=lead_import.pk).update(status="running", attempts=3, heartbeat_at=timezone.now())

    assert services.lead_import_run(import_id=lead_import.pk) is None

    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.failure, lead_import.attempts) == ("failed", "interrupted", 4)
    assert Lead.objects.count() == 0
    client.force_login(rep)
    page = client.get(f"/leads/import/{lead_import.pk}/").content.decode()
    assert "The import was interrupted 4 times." in page
    # The user's retry starts the count afresh.
    client.post(f"/leads/import/{lead_import.pk}/retry/")
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.attempts) == ("done", 1)
    _assert_imported_once(lead_import)


def test_the_periodic_service_fails_imports_without_progress_for_the_stale_minutes(rep, settings):
    settings.LEADS_IMPORT_STALE_MINUTES = 10
    now = timezone.now()

    def make(status, heartbeat_minutes_ago, **fields):
        lead_import = services.lead_import_create(actor=rep, raw=_csv(2, uuid.uuid4().hex), file_name="f.csv")
        heartbeat = None if heartbeat_minutes_ago is None else now - timedelta(minutes=heartbeat_minutes_ago)
        LeadImport.objects.filter(pk=lead_import.pk).update(status=status, heartbeat_at=heartbeat, **fields)
        return lead_import.pk

    stalled = make("running", 11)
    not_started = make("queued", 10.5)
    alive = make("running", 9)
    waiting = make("queued", 1)
    older_than_heartbeats = make("running", None, created_at=now - timedelta(hours=2))
    done = make("done", 60)
    preview = make("preview", None, created_at=now - timedelta(hours=2))

    assert services.lead_import_fail_stale(now=now) == 3

    result = dict(LeadImport.objects.values_list("pk", "failure"))
    status = dict(LeadImport.objects.values_list("pk", "status"))
    assert (status[stalled], result[stalled]) == ("failed", "stalled")
    assert (status[not_started], result[not_started]) == ("failed", "not_started")
    assert (status[older_than_heartbeats], result[older_than_heartbeats]) == ("failed", "stalled")
    assert [status[pk] for pk in (alive, waiting, done, preview)] == ["running", "queued", "done", "preview"]
    # Idempotent: a second run (or a second beat) finds nothing more.
    assert services.lead_import_fail_stale(now=now) == 0


def test_a_stale_import_is_marked_failed_when_the_user_looks_at_it(client, rep, lead_import, settings):
    settings.LEADS_IMPORT_STALE_MINUTES = 10
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(minutes=11), imported_rows=0
    )
    client.force_login(rep)

    partial = client.get(f"/leads/import/{lead_import.pk}/", headers={"HX-Request": "true"}).content.decode()

    assert "no rows were written for 10 minutes" in partial
    assert "hx-trigger" not in partial  # the page stops polling
    assert 'data-testid="import-retry"' in partial
    assert LeadImport.objects.get(pk=lead_import.pk).status == "failed"


def test_a_running_import_with_recent_progress_keeps_polling(client, rep, lead_import, settings):
    settings.LEADS_IMPORT_STALE_MINUTES = 10
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(minutes=9), imported_rows=4
    )
    client.force_login(rep)

    partial = client.get(f"/leads/import/{lead_import.pk}/", headers={"HX-Request": "true"}).content.decode()

    assert 'hx-trigger="every 1s"' in partial
    assert 'value="4"' in partial
    assert LeadImport.objects.get(pk=lead_import.pk).status == "running"


def test_fail_stale_imports_command_runs_the_service(rep, lead_import):
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status="queued", heartbeat_at=timezone.now() - timedelta(days=1)
    )
    out = StringIO()

    call_command("fail_stale_imports", stdout=out)

    assert "1 stale imports marked failed" in out.getvalue()
    assert LeadImport.objects.get(pk=lead_import.pk).failure == "not_started"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_of_one_import_at_once_import_every_row_once(rep):
    """A redelivered task racing the live one: the batches serialise on the import's row lock."""
    lead_import = services.lead_import_create(actor=rep, raw=_csv(600), file_name="f.csv")
    _queue(lead_import)

    run_in_threads(lambda: services.lead_import_run(import_id=lead_import.pk, batch_size=25), count=2)

    lead_import.refresh_from_db()
    assert lead_import.status == "done"
    _assert_imported_once(lead_import, count=600)
