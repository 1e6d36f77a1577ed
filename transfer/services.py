"""Writes of the import: upload, mapping and dry run, the all-or-nothing import, discard, and the
recovery of runs whose worker died.

The dry run and the import run the same checks. The dry run writes nothing but its report and
its progress (committed as it goes). The import checks every row again inside one transaction
(the data may have changed since the dry run) and creates the records only when no row fails:
one failing row, and nothing is created — the job goes back to "checked" with the new report.
"""

import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit import context as audit_context
from leads import import_encoding
from leads.importing import ImportFileError
from transfer import duplicates, formats, mapping, records, values
from transfer.models import ImportJob

S = ImportJob.Status
# The report keeps this many errors (the count of failing rows is always complete).
REPORT_LIMIT = 1000


class TransferError(Exception):
    """A step the job's state does not allow; the message is for the user."""


def import_create(*, actor, record_type, file_name, raw, encoding=import_encoding.AUTO):
    """Read the upload's header and rows and keep the file with a guessed column mapping.
    Raises ImportFileError (nothing stored) when the file cannot be used."""
    if len(raw) > settings.TRANSFER_IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": settings.TRANSFER_IMPORT_MAX_BYTES // 2**20}
        )
    file_format = formats.format_of(file_name, raw)
    headers, rows, used = formats.read(raw, file_format=file_format, encoding=encoding)
    return ImportJob.objects.create(
        created_by=actor,
        record_type=record_type,
        file_name=file_name[:255],
        file_format=file_format,
        source=raw,
        encoding=used,
        headers=headers,
        mapping=mapping.guess(headers=headers, record_type=record_type, user=actor),
        total_rows=len(rows),
    )


def import_preview(*, job, limit=5):
    """The first rows of the file, as the columns show them (for the mapping form)."""
    _headers, rows, _used = formats.read(bytes(job.source), file_format=job.file_format, encoding=job.encoding or "")
    return [(line, [values.text_of(cell) for cell in cells]) for line, cells in rows[:limit]]


def import_check(*, job_id, actor, targets):
    """Keep the chosen mapping (also for the user's next file) and start the dry run.
    Raises TransferError when the mapping is incomplete or the job has moved on."""
    job = ImportJob.objects.get(pk=job_id, created_by=actor)
    if len(targets) != len(job.headers):
        raise TransferError(_("Choose a field (or “ignore”) for every column."))
    problems = mapping.check(targets=targets, record_type=job.record_type)
    if problems:
        raise TransferError(" ".join(problems))
    claimed = ImportJob.objects.filter(pk=job_id, status__in=(S.MAPPING, S.CHECKED, S.FAILED)).update(
        status=S.CHECKING,
        mapping=targets,
        processed_rows=0,
        error_rows=0,
        report=[],
        duplicate_rows=0,
        duplicates=[],
        failure="",
        error="",
        attempts=0,
        heartbeat_at=timezone.now(),
        finished_at=None,
    )
    if not claimed:
        raise TransferError(_("This import is no longer waiting for a mapping; upload the file again."))
    mapping.remember(user=actor, record_type=job.record_type, headers=job.headers, targets=targets)
    return _start(ImportJob.objects.get(pk=job_id))


def import_confirm(*, job_id, actor, duplicates_confirmed=False):
    """Import the checked file: only after a dry run without errors, and when rows look like
    duplicates only once the user confirmed importing them anyway. Safe to click twice."""
    checked = ImportJob.objects.filter(pk=job_id, created_by=actor, status=S.CHECKED, error_rows=0)
    if not duplicates_confirmed:
        checked = checked.filter(duplicate_rows=0)
    claimed = checked.update(status=S.IMPORTING, attempts=0, heartbeat_at=timezone.now())
    job = ImportJob.objects.get(pk=job_id, created_by=actor)
    if not claimed:
        if job.status == S.CHECKED and job.error_rows:
            raise TransferError(_("Correct the rows with errors first: the import creates all rows or none."))
        if job.status == S.CHECKED:
            raise TransferError(
                ngettext(
                    "%(count)s row looks like a duplicate: confirm that it should be imported anyway.",
                    "%(count)s rows look like duplicates: confirm that they should be imported anyway.",
                    job.duplicate_rows,
                )
                % {"count": job.duplicate_rows}
            )
        return job
    return _start(job)


def import_discard(*, job_id, actor):
    ImportJob.objects.filter(pk=job_id, created_by=actor, status__in=(S.MAPPING, S.CHECKED, S.FAILED)).update(
        status=S.DISCARDED, source=b"", finished_at=timezone.now()
    )


def _start(job):
    """Run now when the file is small, else in the worker after commit (the page polls)."""
    from transfer import tasks

    if job.total_rows > settings.TRANSFER_IMPORT_SYNC_MAX_ROWS:
        job_id = job.pk
        transaction.on_commit(lambda: tasks.import_run.delay(job_id))
        return job
    import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def progress_key(job_id):
    return f"transfer:import:{job_id}:progress"


def import_progress(*, job):
    """Rows checked so far: the dry run commits its count, the import keeps it in the cache
    (its transaction is not visible until it ends)."""
    if job.status == S.IMPORTING:
        return min(cache.get(progress_key(job.pk), 0), job.total_rows)
    return min(job.processed_rows, job.total_rows)


def _parsed_rows(job):
    """(line, {field: cell}) for every row, by the job's mapping."""
    _headers, rows, _used = formats.read(bytes(job.source), file_format=job.file_format, encoding=job.encoding or "")
    columns = [(index, target) for index, target in enumerate(job.mapping) if target]
    return [(line, {target: cells[i] if i < len(cells) else "" for i, target in columns}) for line, cells in rows]


def _check_rows(job, rows, kind, context, report_progress):
    """(cleaned rows, report, failing row count, the cleaned rows' lines), reporting progress
    every batch; None when the run lost the job (report_progress answered False)."""
    labels = dict(enumerate(job.headers))
    column_of = {target: labels[index] for index, target in enumerate(job.mapping) if target}
    fields = kind.field_map()
    cleaned, report, failing, lines = [], [], 0, []
    batch = settings.TRANSFER_IMPORT_BATCH_SIZE
    for index, (line, row) in enumerate(rows, start=1):
        try:
            cleaned.append(kind.clean(row, context))
            lines.append(line)
        except records.RowErrors as error:
            failing += 1
            for name, message in error.errors:
                if len(report) < REPORT_LIMIT:
                    column = column_of.get(name) or str(fields[name].label)
                    report.append({"row": line, "column": column, "message": str(message)})
        if index % batch == 0 and not report_progress(index):
            return None
    return cleaned, report, failing, lines


def _claim(job_id):
    """Take the job for this run (a redelivered task takes it over); None when there is nothing
    to run or it was tried too often."""
    token = uuid.uuid4()
    claimed = ImportJob.objects.filter(pk=job_id, status__in=(S.CHECKING, S.IMPORTING)).update(
        run_token=token, heartbeat_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None, None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.attempts > settings.TRANSFER_IMPORT_MAX_ATTEMPTS:
        ImportJob.objects.filter(pk=job_id, run_token=token).update(
            status=S.FAILED, failure=ImportJob.Failure.INTERRUPTED, run_token=None, finished_at=timezone.now()
        )
        return None, None
    return job, token


def import_run(*, job_id):
    """Run the job's dry run or import (the Celery task's service; safe to run twice: a second
    run takes over with a new token, the first stops at its next progress report)."""
    job, token = _claim(job_id)
    if job is None:
        return None
    running = ImportJob.objects.filter(pk=job_id, run_token=token)
    try:
        if job.status == S.CHECKING:
            return _dry_run(job, token, running)
        return _import(job, token, running)
    except Exception as exc:
        error = (
            _("The import took longer than the worker's time limit.")
            if isinstance(exc, SoftTimeLimitExceeded)
            else str(exc)[:2000]
        )
        running.update(
            status=S.FAILED, failure=ImportJob.Failure.ERROR, error=error, run_token=None, finished_at=timezone.now()
        )
        raise


def _dry_run(job, token, running):
    kind = records.get(job.record_type)
    try:
        rows = _parsed_rows(job)
    except ImportFileError as error:
        running.update(status=S.FAILED, failure=ImportJob.Failure.ERROR, error=str(error), run_token=None)
        return None
    context = kind.prepare(job.created_by, [row for _line, row in rows])

    def report_progress(done):
        return running.filter(status=S.CHECKING).update(processed_rows=done, heartbeat_at=timezone.now()) == 1

    result = _check_rows(job, rows, kind, context, report_progress)
    if result is None:
        return None
    cleaned, report, failing, lines = result
    # The rows without errors that look like records already there or earlier rows of the file.
    warnings = duplicates.row_warnings(
        user=job.created_by, record_type=job.record_type, rows=list(zip(lines, cleaned, strict=True))
    )
    running.filter(status=S.CHECKING).update(
        status=S.CHECKED,
        processed_rows=len(rows),
        error_rows=failing,
        report=report,
        duplicate_rows=len(warnings),
        duplicates=warnings[:REPORT_LIMIT],
        run_token=None,
        heartbeat_at=timezone.now(),
    )
    return failing


def _import(job, token, running):
    """All or nothing, in one transaction that holds the job's row lock."""
    kind = records.get(job.record_type)
    rows = _parsed_rows(job)
    cache.set(progress_key(job.pk), 0, timeout=3600)
    with (
        transaction.atomic(),
        audit_context.recorded_as(audit_context.Source.IMPORT, actor=job.created_by),
    ):
        held = running.select_for_update().filter(status=S.IMPORTING)
        if not list(held.values_list("pk", flat=True)):
            return None
        context = kind.prepare(job.created_by, [row for _line, row in rows])

        def report_progress(done):
            cache.set(progress_key(job.pk), done, timeout=3600)
            return True

        cleaned, report, failing, _lines = _check_rows(job, rows, kind, context, report_progress)
        now = timezone.now()
        if failing:
            # Something changed since the dry run: nothing is created, the user sees why.
            running.update(
                status=S.CHECKED, error_rows=failing, report=report, processed_rows=len(rows), run_token=None
            )
            return 0
        created = kind.write(job.created_by, cleaned, context)
        finished = running.filter(status=S.IMPORTING).update(
            status=S.DONE,
            created_rows=len(created),
            processed_rows=len(rows),
            report=[],
            source=b"",
            run_token=None,
            heartbeat_at=now,
            finished_at=now,
        )
        if not finished:  # marked failed meanwhile (SQLite has no row lock): create nothing
            transaction.set_rollback(True)
            return None
    cache.delete(progress_key(job.pk))
    return len(created)


def _stale_q(now):
    cutoff = now - timedelta(minutes=settings.TRANSFER_IMPORT_STALE_MINUTES)
    return Q(status__in=(S.CHECKING, S.IMPORTING), heartbeat_at__lt=cutoff)


@transaction.atomic
def import_fail_stale(*, now=None):
    """Mark dry runs and imports without progress for TRANSFER_IMPORT_STALE_MINUTES as failed.

    A running import holds its job's row lock for its whole transaction, so a job whose row is
    locked has a live worker and is skipped (SKIP LOCKED on PostgreSQL); a worker that died
    released its lock with its connection. Returns how many jobs were marked."""
    now = now or timezone.now()
    stale = list(
        ImportJob.objects.select_for_update(skip_locked=True).filter(_stale_q(now)).values_list("pk", flat=True)
    )
    return (
        ImportJob.objects.filter(_stale_q(now), pk__in=stale).update(
            status=S.FAILED, failure=ImportJob.Failure.STALLED, run_token=None, finished_at=now
        )
        if stale
        else 0
    )
