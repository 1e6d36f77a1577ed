"""The CSV import of leads: read and validate an upload into a preview, re-read it with another
encoding or mapping, then import the valid rows in committed batches (resumable, idempotent)."""

import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import context as audit_context
from audit import services as audit
from events.models import EventType
from events.services import event_emit_many
from leads import contact_keys, import_encoding, import_mapping, importing, scoring, selectors
from leads.models import (
    Lead,
    LeadImport,
    LeadStatusChange,
    ScoringSettings,
)
from leads.services import lifecycle


def lead_import_create(*, actor, raw, file_name, encoding=import_encoding.AUTO):
    """Read and validate an uploaded CSV into a LeadImport awaiting the user's decision.

    `encoding` is AUTO (detect: UTF-8 or Windows-1252) or one the user chose. The columns are
    guessed from the header, or mapped as the user mapped the same header last time
    (leads.import_mapping). The bytes are kept with the preview, so that it can be read again
    with another encoding or another mapping (lead_import_reread, lead_import_remap). A header
    that does not name the required fields still makes a preview, without rows, on which the
    user chooses the columns. Raises importing.ImportFileError (nothing stored) when the file
    as a whole is unusable.
    """
    if len(raw) > settings.LEADS_IMPORT_MAX_BYTES:
        raise importing.ImportFileError(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": settings.LEADS_IMPORT_MAX_BYTES // 2**20}
        )
    detected, used = _encodings(raw, encoding)
    text = import_encoding.decode(raw, encoding=used)
    headers, _reader = importing.read_header(text)
    mapping = import_mapping.guess(headers=headers, user=actor)
    lead_import = LeadImport(
        created_by=actor, file_name=file_name[:255], source=raw, encoding=used, encoding_detected=detected
    )
    _validate_into(lead_import, text=text, actor=actor, headers=headers, mapping=mapping)
    lead_import.save()
    return lead_import


def _validate_into(lead_import, *, text, actor, headers, mapping):
    """Validate `text` with `mapping` into the import's rows, report, header and mapping.

    `headers` is the header the caller has already read from `text` (the upload's, or the one
    stored on the preview when only the mapping changes): it is not parsed again. The mapping is
    fitted to it first (import_mapping.fit: a column mapped to nothing, None or "", is stored as
    "" and not imported). An incomplete mapping leaves no rows (nothing can be imported until
    the user completes it)."""
    mapping = import_mapping.fit(mapping, columns=len(headers))
    try:
        valid, report, total = importing.validate(text=text, actor=actor, mapping=mapping)
    except importing.MappingIncomplete:
        valid, report, total = [], [], 0
    lead_import.headers, lead_import.mapping = headers, mapping
    lead_import.header_key = import_mapping.header_key(headers)
    lead_import.total_rows, lead_import.valid_rows = total, len(valid)
    lead_import.rows, lead_import.report = valid, report


def _encodings(raw, encoding):
    """(the detected encoding or "" when detection refuses the file, the one to read with)."""
    try:
        detected = import_encoding.detect(raw)
    except importing.ImportFileError:
        if encoding == import_encoding.AUTO:
            raise
        detected = ""
    return detected, detected if encoding == import_encoding.AUTO else encoding


_VALIDATED_FIELDS = ["total_rows", "valid_rows", "rows", "report", "headers", "mapping", "header_key"]


def _previewed(*, import_id, actor):
    lead_import = LeadImport.objects.select_for_update().get(pk=import_id, created_by=actor)
    if lead_import.status != LeadImport.Status.PREVIEW or not lead_import.source:
        raise lifecycle.LeadError(_("This import is no longer waiting for a decision; upload the file again."))
    return lead_import


@transaction.atomic
def lead_import_reread(*, import_id, actor, encoding):
    """Read a previewed upload again with another encoding and validate it afresh, without a
    new upload; the column mapping stays if the header reads the same. Raises
    importing.ImportFileError when the file cannot be read so (the preview stays as it was)
    and LeadError once the user has decided."""
    lead_import = _previewed(import_id=import_id, actor=actor)
    raw = bytes(lead_import.source)
    detected, used = _encodings(raw, encoding)
    text = import_encoding.decode(raw, encoding=used)
    headers, _reader = importing.read_header(text)
    same = import_mapping.header_key(headers) == lead_import.header_key and lead_import.mapping
    mapping = lead_import.mapping if same else import_mapping.guess(headers=headers, user=actor)
    _validate_into(lead_import, text=text, actor=actor, headers=headers, mapping=mapping)
    lead_import.encoding, lead_import.encoding_detected = used, detected
    lead_import.save(update_fields=[*_VALIDATED_FIELDS, "encoding", "encoding_detected"])
    return lead_import


@transaction.atomic
def lead_import_remap(*, import_id, actor, mapping):
    """Validate a previewed upload afresh with the columns the user chose (a field or "" per
    column; None counts as ""). An incomplete mapping is stored and shown with its problems; nothing is imported
    until it is complete. Raises LeadError once the user has decided."""
    lead_import = _previewed(import_id=import_id, actor=actor)
    if len(mapping) != len(lead_import.headers) or any(m and m not in import_mapping.TARGETS for m in mapping):
        raise lifecycle.LeadError(_("The columns chosen do not fit this file; choose them again."))
    text = import_encoding.decode(bytes(lead_import.source), encoding=lead_import.encoding)
    _validate_into(lead_import, text=text, actor=actor, headers=lead_import.headers, mapping=mapping)
    lead_import.save(update_fields=_VALIDATED_FIELDS)
    return lead_import


def _lead_import_start(lead_import):
    """Run a queued import: now when few rows remain, else in the worker after commit."""
    from leads import tasks

    remaining = lead_import.valid_rows - lead_import.processed_rows
    if remaining > settings.LEADS_IMPORT_SYNC_MAX_ROWS:
        import_id = lead_import.pk
        transaction.on_commit(lambda: tasks.lead_import_run.delay(import_id))
        return lead_import
    lead_import_run(import_id=lead_import.pk)
    lead_import.refresh_from_db()
    return lead_import


def lead_import_confirm(*, import_id, actor):
    """The user chose to import the valid rows. Small files import now; large ones are
    queued for the worker (the page then polls the progress). Safe to click twice: only
    the first click moves the import out of the preview."""
    claimed = LeadImport.objects.filter(
        pk=import_id, created_by=actor, status=LeadImport.Status.PREVIEW, valid_rows__gt=0
    ).update(status=LeadImport.Status.QUEUED, source=b"", heartbeat_at=timezone.now())
    lead_import = LeadImport.objects.get(pk=import_id, created_by=actor)
    if not claimed:
        if lead_import.status == LeadImport.Status.PREVIEW:
            raise lifecycle.LeadError(_("There are no valid rows to import."))
        return lead_import
    return _lead_import_start(lead_import)


def lead_import_retry(*, import_id, actor):
    """The user runs a failed import again; the rows that already have their lead are
    skipped. Safe to click twice: only the first click moves the import out of "failed"."""
    claimed = LeadImport.objects.filter(pk=import_id, created_by=actor, status=LeadImport.Status.FAILED).update(
        status=LeadImport.Status.QUEUED, failure="", error="", attempts=0, heartbeat_at=timezone.now(), finished_at=None
    )
    lead_import = LeadImport.objects.get(pk=import_id, created_by=actor)
    if not claimed:
        return lead_import
    return _lead_import_start(lead_import)


def lead_import_discard(*, import_id, actor):
    """The user chose to import nothing."""
    LeadImport.objects.filter(pk=import_id, created_by=actor, status=LeadImport.Status.PREVIEW).update(
        status=LeadImport.Status.DISCARDED, rows=[], source=b"", finished_at=timezone.now()
    )


def _import_stale_q(now):
    """Queued or running, and no progress for LEADS_IMPORT_STALE_MINUTES (an import queued
    before heartbeats existed counts from its creation)."""
    cutoff = now - timedelta(minutes=settings.LEADS_IMPORT_STALE_MINUTES)
    return Q(status__in=(LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )


def lead_import_is_stale(*, lead_import, now=None):
    return LeadImport.objects.filter(_import_stale_q(now or timezone.now()), pk=lead_import.pk).exists()


def lead_import_fail_stale(*, now=None, import_id=None):
    """Mark the imports that made no progress for LEADS_IMPORT_STALE_MINUTES as failed.

    A running one lost its worker (killed, restarted, out of memory); a queued one was never
    picked up (no worker runs, or the broker lost the task). Each is a conditional UPDATE on
    the old heartbeat: a batch that commits at the same moment wins and the import stays
    running. A run that is still alive after all finds its import failed at its next batch and
    stops. The user retries from the import page. Returns how many imports were marked.
    """
    now = now or timezone.now()
    stale = LeadImport.objects.filter(_import_stale_q(now))
    if import_id is not None:
        stale = stale.filter(pk=import_id)
    stalled = stale.filter(status=LeadImport.Status.RUNNING).update(
        status=LeadImport.Status.FAILED, failure=LeadImport.Failure.STALLED, run_token=None, finished_at=now
    )
    not_started = stale.filter(status=LeadImport.Status.QUEUED).update(
        status=LeadImport.Status.FAILED, failure=LeadImport.Failure.NOT_STARTED, finished_at=now
    )
    return stalled + not_started


def _import_mark_skipped(import_id, rows):
    """Rows whose e-mail reached another lead after the preview are not imported: they join the
    report's problem rows. Counted once, also when a retry meets them again."""
    report = LeadImport.objects.values_list("report", flat=True).get(pk=import_id)
    skipped = {row["row"] for row in rows}
    message = str(_("a lead with this e-mail was created after the preview; not imported"))
    newly = 0
    for entry in report:
        if entry["row"] in skipped and entry["ok"]:
            entry["ok"] = False
            entry["errors"] = [*entry["errors"], message]
            newly += 1
    if newly:
        LeadImport.objects.filter(pk=import_id).update(report=report, skipped_rows=F("skipped_rows") + newly)


def _import_batch(*, lead_import, token, rows, config):
    """Import one batch in one transaction; False when this run no longer holds the import.

    The import's row lock serialises batches of concurrent runs; rows that already have their
    lead (unique import + row) are skipped, so a batch is never imported twice.
    """

    with (
        transaction.atomic(),
        audit_context.recorded_as(audit_context.Source.IMPORT, actor=lead_import.created_by),
    ):
        held = LeadImport.objects.select_for_update().filter(
            pk=lead_import.pk, run_token=token, status=LeadImport.Status.RUNNING
        )
        if not list(held.values_list("pk", flat=True)):
            return False
        done = set(
            Lead.objects.filter(lead_import=lead_import, import_row__in=[r["row"] for r in rows]).values_list(
                "import_row", flat=True
            )
        )
        todo = [r for r in rows if r["row"] not in done]
        taken = selectors.lead_taken_email_keys(email_keys=(contact_keys.email_key(r["email"]) for r in todo))
        now = timezone.now()
        leads = []
        for row in todo:
            if contact_keys.email_key(row["email"]) in taken:
                continue
            fields = {k: v for k, v in row.items() if k != "row"}
            lead = Lead(
                status=Lead.Status.NEW,
                status_changed_at=now,
                created_at=now,
                lead_import=lead_import,
                import_row=row["row"],
                **fields,
            )
            lead.set_contact_keys()
            scoring.apply(lead, config=config)
            leads.append(lead)
        leads = Lead.objects.bulk_create(leads)
        # bulk_create sends no model signals: the audit entries are written explicitly.
        audit.audit_record_bulk_create(instances=leads)
        event_emit_many(
            EventType.LEAD_CREATED,
            subject_type="lead",
            subject_ids=[lead.pk for lead in leads],
            actor=lead_import.created_by,
            data_by_id={lead.pk: {"source": lead.source} for lead in leads},
        )
        LeadStatusChange.objects.bulk_create(
            LeadStatusChange(
                lead=lead,
                from_status="",
                to_status=Lead.Status.NEW,
                actor=lead_import.created_by,
                at=now,
                reason="csv import",
            )
            for lead in leads
        )
        if len(leads) + len(done) < len(rows):
            _import_mark_skipped(lead_import.pk, [r for r in todo if contact_keys.email_key(r["email"]) in taken])
        LeadImport.objects.filter(pk=lead_import.pk).update(
            imported_rows=F("imported_rows") + len(leads), heartbeat_at=now
        )
    return True


def lead_import_run(*, import_id, batch_size=None):
    """Create the leads of a queued import, one committed batch at a time.

    The run claims the import with a conditional UPDATE (queued or running → running, a new
    run token, one more attempt): a redelivered task takes over an import whose worker died
    and continues after the last committed batch; a run whose token was replaced, or whose
    import was marked failed meanwhile, stops at its next batch. After
    LEADS_IMPORT_MAX_ATTEMPTS runs the import is failed instead (a file that kills its
    worker every time must not loop). Returns the number of imported leads when this run
    finished the import, else None.
    """
    batch_size = batch_size or settings.LEADS_IMPORT_BATCH_SIZE
    token = uuid.uuid4()
    running = LeadImport.objects.filter(pk=import_id, status=LeadImport.Status.RUNNING, run_token=token)
    claimed = LeadImport.objects.filter(
        pk=import_id, status__in=(LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)
    ).update(status=LeadImport.Status.RUNNING, run_token=token, heartbeat_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    lead_import = LeadImport.objects.select_related("created_by").get(pk=import_id)
    if lead_import.attempts > settings.LEADS_IMPORT_MAX_ATTEMPTS:
        running.update(
            status=LeadImport.Status.FAILED,
            failure=LeadImport.Failure.INTERRUPTED,
            run_token=None,
            finished_at=timezone.now(),
        )
        return None
    config = ScoringSettings.get_solo()
    rows = lead_import.rows
    try:
        for start in range(0, len(rows), batch_size):
            if not _import_batch(
                lead_import=lead_import, token=token, rows=rows[start : start + batch_size], config=config
            ):
                return None
    except Exception as exc:
        error = (
            str(_("The import took longer than the worker's time limit."))
            if isinstance(exc, SoftTimeLimitExceeded)
            else str(exc)[:2000]
        )
        running.update(
            status=LeadImport.Status.FAILED,
            failure=LeadImport.Failure.ERROR,
            error=error,
            run_token=None,
            finished_at=timezone.now(),
        )
        raise
    now = timezone.now()
    if not running.update(status=LeadImport.Status.DONE, rows=[], run_token=None, heartbeat_at=now, finished_at=now):
        return None
    return LeadImport.objects.values_list("imported_rows", flat=True).get(pk=import_id)
