"""Explicit audit entries for the writes that bypass model signals: `QuerySet.update()`
(the board's conditional UPDATE, background touches) and `bulk_create` / `bulk_update`
(imports, rescoring). Call them inside the transaction of the change, so the entry
commits or rolls back with it.

The diff is django-auditlog's own (`model_instance_diff`), so explicit entries honour the
same registration (excluded and masked fields) and value format as the ones its signals
write; the source and user come from the current audit context.
"""

import copy

from auditlog.context import auditlog_disabled
from auditlog.diff import get_field_value, is_primitive, model_instance_diff
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.encoding import smart_str

from audit import context
from audit.models import LogEntry


def snapshot(instance):
    """A copy of the instance as it is now, to diff against after the change."""
    return copy.copy(instance)


def audit_record_update(*, old, new, fields, actor=None, in_history=False):
    """One UPDATE entry for the given fields of `new` (compared with the snapshot `old`),
    by `actor` (else the context's user).

    Nothing is written when the model is not audited, no audited field changed, or the audit
    trail is switched off for the block (`auditlog.context.disable_auditlog`, e.g. the demo data).
    """
    if auditlog_disabled.get() or not auditlog.contains(type(new)):
        return None
    changes = model_instance_diff(old, new, fields_to_check=set(fields), use_json_for_changes=True)
    if not changes:
        return None
    return LogEntry.objects.log_create(
        new, action=LogEntry.Action.UPDATE, changes=changes, actor=actor, in_history=in_history
    )


def _entry(instance, *, action, changes, ctx, content_type, now):
    entry = LogEntry(
        content_type=content_type,
        object_pk=smart_str(instance.pk),
        object_id=instance.pk,
        object_repr=smart_str(instance)[:2000],
        action=action,
        changes=changes,
        timestamp=now,
    )
    entry.fill_from_context(ctx)
    return entry


def _created_changes(obj, fields):
    """What `model_instance_diff(None, obj)` gives for a new row — {field: [None, value]} for
    every recorded field with a value — without its per-row field discovery, which made up
    most of the time of a 10,000-row import. Values go through auditlog's `get_field_value`."""
    changes = {}
    for field in fields:
        value = get_field_value(obj, field, use_json_for_changes=True)
        if value is None:
            continue
        changes[field.name] = [None, value if is_primitive(value) else smart_str(value)]
    return changes or None


def audit_record_bulk_create(*, instances, batch_size=1000):
    """CREATE entries for rows written with bulk_create (their primary keys set)."""
    instances = list(instances)
    if auditlog_disabled.get() or not instances or not auditlog.contains(type(instances[0])):
        return 0
    model = type(instances[0])
    registered = auditlog.get_model_fields(model)
    if registered["mask_fields"]:  # masking is auditlog's job: take its full diff
        changes_of = lambda obj: model_instance_diff(None, obj, use_json_for_changes=True)  # noqa: E731
    else:
        fields = [f for f in model._meta.concrete_fields if f.name in registered["include_fields"]]
        changes_of = lambda obj: _created_changes(obj, fields)  # noqa: E731
    ctx, now = context.current(), timezone.now()
    content_type = ContentType.objects.get_for_model(model)
    entries = [
        _entry(obj, action=LogEntry.Action.CREATE, changes=changes_of(obj), ctx=ctx, content_type=content_type, now=now)
        for obj in instances
    ]
    LogEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)


def audit_record_bulk_update(*, pairs, fields, batch_size=1000):
    """UPDATE entries for rows written with bulk_update: `pairs` are (old snapshot, new)."""
    pairs = list(pairs)
    if auditlog_disabled.get() or not pairs or not auditlog.contains(type(pairs[0][1])):
        return 0
    ctx, now = context.current(), timezone.now()
    content_type = ContentType.objects.get_for_model(type(pairs[0][1]))
    entries = []
    for old, new in pairs:
        changes = model_instance_diff(old, new, fields_to_check=set(fields), use_json_for_changes=True)
        if changes:
            entries.append(
                _entry(new, action=LogEntry.Action.UPDATE, changes=changes, ctx=ctx, content_type=content_type, now=now)
            )
    LogEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)


def audit_record_tag_changes(*, changes):
    """UPDATE entries for tags added to or removed from records (many-to-many writes send no
    field diff): `changes` are (instance, tag names before, tag names after); each entry reads
    {"tags": [before, after]} with the names joined by commas, like any other field change."""
    changes = [(obj, before, after) for obj, before, after in changes if sorted(before) != sorted(after)]
    if auditlog_disabled.get() or not changes or not auditlog.contains(type(changes[0][0])):
        return 0
    ctx, now = context.current(), timezone.now()
    content_type = ContentType.objects.get_for_model(type(changes[0][0]))
    entries = [
        _entry(
            obj,
            action=LogEntry.Action.UPDATE,
            changes={"tags": [", ".join(sorted(before)), ", ".join(sorted(after))]},
            ctx=ctx,
            content_type=content_type,
            now=now,
        )
        for obj, before, after in changes
    ]
    LogEntry.objects.bulk_create(entries)
    return len(entries)
