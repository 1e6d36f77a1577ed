"""Writes of leads. Every function owns its transaction, checks permission, keeps the
score in step with its inputs and writes the LeadStatusChange history."""

import csv
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.models import User
from audit import context as audit_context
from audit import services as audit
from customers import consent
from customers.models import Consent
from leads import contact_keys, import_encoding, import_mapping, importing, scoring, selectors
from leads.models import (
    Lead,
    LeadConsentChange,
    LeadImport,
    LeadStatusChange,
    LeadTouch,
    ScoringSettings,
    WebFormSettings,
)
from pipeline_crm import csvexport

S = Lead.Status

# The allowed moves of a lead's status. Conversion is not here: only lead_convert (deals
# app) may take a qualified lead to "converted", because it creates the deal.
TRANSITIONS = {
    S.NEW: {S.CONTACTED, S.DISQUALIFIED},
    S.CONTACTED: {S.NURTURING, S.QUALIFIED, S.DISQUALIFIED},
    S.NURTURING: {S.CONTACTED, S.QUALIFIED, S.DISQUALIFIED},
    S.QUALIFIED: {S.NURTURING, S.DISQUALIFIED},
    S.DISQUALIFIED: {S.NURTURING},
    S.CONVERTED: set(),
}

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "company_name",
    "message",
    "source",
    "campaign",
    "industry",
    "size_band",
    "region",
    "decision_role",
    "persona",
    "need",
    "budget",
    "authority",
    "timing",
)


class LeadError(Exception):
    """A business rule refused the change; the message is for the user."""


def allowed_transitions(lead):
    return [s for s in S if s in TRANSITIONS[S(lead.status)]]


def can_change(user, lead):
    """Owner's rules from DESIGN §5; unassigned leads may be changed by managers and admins."""
    if lead.owner_id is None:
        return scoping.is_admin(user) or user.role == User.Role.MANAGER
    return scoping.can_change_owned(user, lead.owner)


def _check_owner(*, actor, current_owner, new_owner):
    if actor is None or new_owner is None:
        return
    if current_owner is not None and new_owner.pk == current_owner.pk:
        return
    if new_owner.pk == actor.pk and current_owner is None:
        return
    if not scoping.can_reassign(actor, current_owner=current_owner, new_owner=new_owner):
        raise PermissionDenied(_("You may not hand this lead to %(user)s.") % {"user": new_owner})


def _record(*, lead, from_status, actor, reason="", at=None):
    return LeadStatusChange.objects.create(
        lead=lead, from_status=from_status, to_status=lead.status, actor=actor, reason=reason, at=at or timezone.now()
    )


@transaction.atomic
def lead_create(*, actor, owner=None, **fields):
    """Create a new lead with its score and the initial history row ("" → new).

    `actor` is None for the public web form. A user may only give the lead to someone
    they may hand records to.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"consent", "consent_at", "organization", "contact"}
    if unknown:
        raise TypeError(f"lead_create() got unexpected fields: {sorted(unknown)}")
    if actor is not None and owner is not None and owner.pk != actor.pk:
        _check_owner(actor=actor, current_owner=None, new_owner=owner)
    now = timezone.now()
    lead = Lead(owner=owner, status=S.NEW, status_changed_at=now, created_at=now, **fields)
    scoring.apply(lead, config=ScoringSettings.get_solo())
    lead.full_clean(exclude=["organization", "contact", "persona", "owner"])
    lead.save()
    _record(lead=lead, from_status="", actor=actor, at=now)
    return lead


@transaction.atomic
def lead_update(*, lead_id, actor, **fields):
    """Change a lead's fields (and owner); the score is recomputed when a criterion changes."""
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"owner"}
    if unknown:
        raise TypeError(f"lead_update() got unexpected fields: {sorted(unknown)}")
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)
    if not can_change(actor, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if lead.status == S.CONVERTED:
        raise LeadError(_("A converted lead is closed; change its deal instead."))
    if "owner" in fields:
        owner = fields.pop("owner")
        if (owner.pk if owner else None) != lead.owner_id:
            if owner is None:
                raise LeadError(_("A lead keeps an owner once it has one."))
            _check_owner(actor=actor, current_owner=lead.owner, new_owner=owner)
            lead.owner = owner
    for name, value in fields.items():
        setattr(lead, name, value)
    scoring.apply(lead, config=ScoringSettings.get_solo())
    lead.full_clean(exclude=["organization", "contact", "persona", "owner"])
    lead.save()
    return lead


def lead_qualify(*, lead_id, actor, need, budget, authority, timing):
    """Set the four criteria; the stored score and its breakdown follow."""
    return lead_update(lead_id=lead_id, actor=actor, need=need, budget=budget, authority=authority, timing=timing)


@transaction.atomic
def lead_change_status(*, lead_id, actor, to_status, reason=""):
    """Move a lead along TRANSITIONS; disqualifying needs a reason. Writes the history row."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead_id)
    if not can_change(actor, lead):
        raise PermissionDenied(_("You may not change this lead."))
    if to_status not in S.values:
        raise LeadError(_("Unknown status."))
    to_status = S(to_status)
    if to_status == S.CONVERTED:
        raise LeadError(_("Convert a qualified lead with “Convert to deal”; it creates the deal."))
    if to_status not in TRANSITIONS[S(lead.status)]:
        raise LeadError(
            _("A lead cannot go from %(from)s to %(to)s.") % {"from": S(lead.status).label, "to": to_status.label}
        )
    reason = (reason or "").strip()
    if to_status == S.DISQUALIFIED and not reason:
        raise LeadError(_("Give a reason for disqualifying the lead."))
    now = timezone.now()
    from_status = lead.status
    lead.status = to_status
    lead.disqualified_reason = reason[:200] if to_status == S.DISQUALIFIED else ""
    lead.status_changed_at = now
    lead.last_touch_at = now
    with audit_context.history_row():
        lead.save(update_fields=["status", "disqualified_reason", "status_changed_at", "last_touch_at", "updated_at"])
    _record(lead=lead, from_status=from_status, actor=actor, reason=reason[:200], at=now)
    return lead


# A lead converts from any open status: a rep who has the deal in hand should not click through
# "contacted" and "qualified" first. The history still shows the lead passing "qualified" (the
# funnel's lead-to-qualified step counts it); disqualified leads are reopened first.
CONVERTIBLE = frozenset({S.NEW, S.CONTACTED, S.NURTURING, S.QUALIFIED})


def may_convert(lead):
    return lead.status in CONVERTIBLE


def lead_mark_converted(*, lead, actor, organization, contact, at):
    """Part of lead_convert (deals app): call inside its transaction with the lead locked. A lead
    not yet qualified is recorded as qualified at the same moment, then converted."""
    if not may_convert(lead):
        raise LeadError(_("Only an open lead can be converted."))
    if lead.status != S.QUALIFIED:
        LeadStatusChange.objects.create(lead=lead, from_status=lead.status, to_status=S.QUALIFIED, actor=actor, at=at)
    from_status = S.QUALIFIED
    lead.status = S.CONVERTED
    lead.converted_at = at
    lead.status_changed_at = at
    lead.last_touch_at = at
    lead.organization = organization
    lead.contact = contact
    with audit_context.history_row():
        lead.save(
            update_fields=[
                "status",
                "converted_at",
                "status_changed_at",
                "last_touch_at",
                "organization",
                "contact",
                "updated_at",
            ]
        )
    _record(lead=lead, from_status=from_status, actor=actor, at=at)
    return lead


@transaction.atomic
def scoring_rescore_all(*, batch_size=1000):
    """Recompute every stored score after the weights changed; returns how many changed.

    bulk_update sends no model signals: the audit entries (score old → new) are written
    explicitly, batch by batch, in the same transaction."""
    config = ScoringSettings.get_solo()
    changed, batch = 0, []
    fields = ["id", "first_name", "last_name", "company_name", "score", "score_breakdown", *scoring.CRITERIA]

    def write(batch):
        audit.audit_record_bulk_update(pairs=batch, fields=["score"])
        return Lead.objects.bulk_update([new for _old, new in batch], ["score", "score_breakdown"])

    for lead in Lead.objects.only(*fields).order_by("pk").iterator(chunk_size=batch_size):
        before = audit.snapshot(lead)
        if scoring.apply(lead, config=config):
            batch.append((before, lead))
        if len(batch) >= batch_size:
            changed += write(batch)
            batch = []
    if batch:
        changed += write(batch)
    return changed


# Public web form ------------------------------------------------------------------------


@transaction.atomic
def lead_consent_set(*, actor, lead, status, source, proof="", at=None):
    """Record the lead's e-mail consent with where it came from and what documents it (kept as
    history, `customers.consent.check` says what is required); `actor` None for the system."""
    source, proof = consent.check(status=status, source=str(source), proof=proof)
    lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
    change = LeadConsentChange.objects.create(
        lead=lead, status=status, source=source[:200], proof=proof, actor=actor, at=at or timezone.now()
    )
    lead.email_consent = status
    lead.email_consent_at = change.at
    lead.save(update_fields=["email_consent", "email_consent_at", "updated_at"])
    consent.changed(lead=lead, change=change)
    return lead


def _webform_marketing_consent(lead, *, at, wording):
    """A ticked newsletter box asks for a double opt-in: "pending" until the person confirms
    (never granted straight away). A lead that has consent keeps it; one that withdrew it asks
    again (only the confirmation lifts the unsubscribe, nurturing.optin)."""
    if lead.email_consent in (Consent.GRANTED, Consent.EXISTING):
        return
    lead_consent_set(
        actor=None,
        lead=lead,
        status=Consent.PENDING,
        source=_("web form"),
        proof=_("Box ticked on the web form at %(at)s: “%(wording)s”") % {"at": at.isoformat(), "wording": wording},
        at=at,
    )


def webform_pick_owner():
    """The owner of the next web lead: round-robin across the configured team's active
    members (the settings row is locked so two submissions never pick the same slot),
    else the default owner, else nobody. Call inside a transaction."""
    config = WebFormSettings.objects.select_for_update().filter(pk=1).first()
    if config is None:
        return None
    if config.round_robin_team_id:
        members = list(
            User.objects.filter(team_id=config.round_robin_team_id, is_active=True).order_by("pk").only("pk")
        )
        if members:
            after = [m for m in members if config.last_assigned_id and m.pk > config.last_assigned_id]
            chosen = (after or members)[0]
            config.last_assigned_id = chosen.pk
            config.save(update_fields=["last_assigned"])
            return User.objects.get(pk=chosen.pk)
    if config.default_owner_id and config.default_owner.is_active:
        return config.default_owner
    return None


@transaction.atomic
def lead_submit_webform(
    *,
    first_name,
    last_name,
    email,
    company_name="",
    phone="",
    message="",
    campaign="",
    marketing_consent=False,
    consent_wording="",
):
    """A submission of the public form: a new lead (source "web form", consent recorded,
    owner assigned), or — when the person is already a lead — a touch on that lead.

    The person is already a lead when a lead that is not converted has the same e-mail
    (trimmed, case-folded), or, failing that, when a lead without an e-mail has the same
    phone number: a different e-mail behind a shared number (a switchboard) is another
    person. The submitter sees the same thank-you page either way. Submissions are
    serialised on the web-form settings row, so two of the same person cannot both create
    a lead. A ticked newsletter box (`marketing_consent`, with the box's `consent_wording`)
    makes the e-mail consent "pending" until the person confirms the double opt-in e-mail.
    """
    _webform_lock()
    now = timezone.now()
    existing = _webform_match(email=email, phone=phone)
    if existing is not None:
        lead_touch_record(
            lead_id=existing.pk,
            source=Lead.Source.WEB_FORM,
            campaign=campaign,
            first_name=first_name,
            last_name=last_name,
            company_name=company_name,
            email=email,
            phone=phone,
            message=message,
            consent=True,
            at=now,
            marketing_consent=marketing_consent,
            consent_wording=consent_wording,
        )
        return existing
    lead = lead_create(
        actor=None,
        owner=webform_pick_owner(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        company_name=company_name,
        phone=phone,
        message=message,
        source=Lead.Source.WEB_FORM,
        campaign=campaign[:200],
        consent=True,
        consent_at=now,
    )
    if marketing_consent:
        _webform_marketing_consent(lead, at=now, wording=consent_wording)
    return lead


def _webform_lock():
    """Lock the web-form settings row for the rest of the transaction. The migration creates
    the row; get_solo() recreates it should it be missing, so that the lock always has a row."""
    WebFormSettings.get_solo()
    list(WebFormSettings.objects.select_for_update().filter(pk=1).values_list("pk"))


def _webform_match(*, email, phone):
    for lead in selectors.lead_matches(email=email, phone=phone):
        if lead.same_email or not lead.email_key:
            return lead
    return None


# Fields a touch fills on its lead when the lead has none; nothing is overwritten.
TOUCH_FILLS = ("first_name", "company_name", "phone")


@transaction.atomic
def lead_touch_record(
    *, lead_id, source, at=None, consent=False, marketing_consent=False, consent_wording="", **submitted
):
    """Record a later contact of a person who is already a lead: the LeadTouch row with what
    they sent, the lead's last touch, its blank first name / company / phone filled from the
    submission, and their consent if the lead had none; a ticked newsletter box asks for the
    double opt-in as on a first submission. The lead's status does not change."""
    lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead_id)
    at = at or timezone.now()
    submitted["campaign"] = submitted.get("campaign", "")[:200]
    touch = LeadTouch.objects.create(lead=lead, source=source, consent=consent, at=at, **submitted)
    changed = ["last_touch_at", "updated_at"]
    lead.last_touch_at = at
    for name in TOUCH_FILLS:
        if submitted.get(name) and not getattr(lead, name):
            setattr(lead, name, submitted[name])
            changed.append(name)
    if consent and not lead.consent:
        lead.consent, lead.consent_at = True, at
        changed += ["consent", "consent_at"]
    lead.save(update_fields=changed)
    if marketing_consent:
        _webform_marketing_consent(lead, at=at, wording=consent_wording)
    return touch


@transaction.atomic
def lead_contact_keys_refresh(*, batch_size=2000):
    """Recompute every lead's e-mail and phone keys (after LEADS_PHONE_REGION changed);
    returns how many leads changed."""
    changed, batch = 0, []
    for lead in (
        Lead.objects.only("id", "email", "phone", "email_key", "phone_key")
        .order_by("pk")
        .iterator(chunk_size=batch_size)
    ):
        before = (lead.email_key, lead.phone_key)
        lead.set_contact_keys()
        if (lead.email_key, lead.phone_key) != before:
            batch.append(lead)
        if len(batch) >= batch_size:
            changed += Lead.objects.bulk_update(batch, ["email_key", "phone_key"])
            batch = []
    if batch:
        changed += Lead.objects.bulk_update(batch, ["email_key", "phone_key"])
    return changed


def webform_rate_limited(*, client_ip):
    """Count one submission for this IP in the shared cache; True when over the limit.

    cache.add + cache.incr are atomic on Redis, so every web process sees one counter.
    """
    from django.core.cache import cache

    limit = settings.LEADS_WEBFORM_RATE_LIMIT
    key = f"leads:webform:{client_ip}"
    if cache.add(key, 1, timeout=settings.LEADS_WEBFORM_RATE_WINDOW):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LEADS_WEBFORM_RATE_WINDOW)
        count = 1
    return count > limit


# CSV import --------------------------------------------------------------------------------


def lead_import_progress(*, lead_import):
    """Rows dealt with so far. Batches commit as they go, so the row itself knows."""
    return min(lead_import.processed_rows, lead_import.valid_rows)


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
    _validate_into(lead_import, text=text, actor=actor, mapping=mapping)
    lead_import.save()
    return lead_import


def _validate_into(lead_import, *, text, actor, mapping):
    """Validate `text` with `mapping` into the import's rows, report, header and mapping. An
    incomplete mapping leaves no rows (nothing can be imported until the user completes it)."""
    try:
        valid, report, total = importing.validate(text=text, actor=actor, mapping=mapping)
    except importing.MappingIncomplete as incomplete:
        headers, mapping = incomplete.headers, incomplete.mapping
        valid, report, total = [], [], 0
    else:
        headers, _reader = importing.read_header(text)
        mapping = (list(mapping) if mapping is not None else import_mapping.guess(headers=headers))[: len(headers)]
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
        raise LeadError(_("This import is no longer waiting for a decision; upload the file again."))
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
    _validate_into(lead_import, text=text, actor=actor, mapping=mapping)
    lead_import.encoding, lead_import.encoding_detected = used, detected
    lead_import.save(update_fields=[*_VALIDATED_FIELDS, "encoding", "encoding_detected"])
    return lead_import


@transaction.atomic
def lead_import_remap(*, import_id, actor, mapping):
    """Validate a previewed upload afresh with the columns the user chose (a field or "" per
    column). An incomplete mapping is stored and shown with its problems; nothing is imported
    until it is complete. Raises LeadError once the user has decided."""
    lead_import = _previewed(import_id=import_id, actor=actor)
    if len(mapping) != len(lead_import.headers) or any(m and m not in import_mapping.TARGETS for m in mapping):
        raise LeadError(_("The columns chosen do not fit this file; choose them again."))
    text = import_encoding.decode(bytes(lead_import.source), encoding=lead_import.encoding)
    _validate_into(lead_import, text=text, actor=actor, mapping=list(mapping))
    lead_import.save(update_fields=_VALIDATED_FIELDS)
    return lead_import


def lead_import_samples(*, lead_import, rows=3):
    """The first `rows` rows of a previewed file as read (for the column mapping); [] once the
    file is gone."""
    if not lead_import.source:
        return []
    text = import_encoding.decode(bytes(lead_import.source), encoding=lead_import.encoding)
    _headers, reader = importing.read_header(text)
    samples = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                samples.append([csvexport.text_from_cell(cell).strip() for cell in row])
            if len(samples) == rows:
                break
    except csv.Error:
        pass  # the rows' own problems are in the report
    return samples


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
            raise LeadError(_("There are no valid rows to import."))
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
                status=S.NEW,
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
        LeadStatusChange.objects.bulk_create(
            LeadStatusChange(
                lead=lead, from_status="", to_status=S.NEW, actor=lead_import.created_by, at=now, reason="csv import"
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
