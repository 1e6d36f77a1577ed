"""Merging duplicate organizations or contacts into one, and undoing a merge.

The customers app sits below leads, deals and activities and imports none of them. The merge
moves what points at the merged-away records generically: every foreign key of any installed
model that points at the record's model (`relations`), hidden ones (related_name="+") included —
deals, leads, contacts of an organization, further addresses, consent changes, organization
changes, and whatever a later app adds. Activities belong to a deal or a lead and move with them.

One transaction: the records are locked, the surviving values are written to the surviving record
(audited by its save), the related rows are moved with one UPDATE per relation (audited as
updates of the rows that are audited models), the merged-away records go to the trash (restorable
RESTORE_DAYS days), and a MergeRecord keeps what moved where, so that `merge_undo` can move it
back. Both sides get an audit entry that names the merge.
"""

import copy
from collections import Counter
from datetime import timedelta

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import registry as audit_registry
from audit import services as audit_services
from audit.models import LogEntry
from customers import services
from customers.models import (
    RESTORE_DAYS,
    ConsentChange,
    Contact,
    ContactChannel,
    ContactMove,
    MergeRecord,
    Organization,
)

# The fields the merge screen offers, one radio per field and record.
MERGE_FIELDS = {
    Organization: (
        "name",
        "industry",
        "size_band",
        "region",
        "website",
        "email_domain",
        "phone",
        "vat_id",
        "street",
        "postal_code",
        "city",
        "country",
        "owner",
    ),
    Contact: ("first_name", "last_name", "organization", "email", "phone", "job_title", "decision_role", "owner"),
}
# Kept in the MergeRecord besides the picked fields, because the merge recomputes them.
DERIVED_FIELDS = {Organization: (), Contact: ("email_consent", "email_consent_at")}
KIND = {Organization: MergeRecord.Kind.ORGANIZATION, Contact: MergeRecord.Kind.CONTACT}
MAX_RECORDS = 10


def relations(model):
    """Every many-to-one foreign key in the project that points at `model`, in a fixed order.
    One-to-one keys are left out: two records' rows cannot both point at the survivor."""
    found = [
        field
        for related in apps.get_models()
        for field in related._meta.local_fields
        if field.many_to_one and field.remote_field.model is model
    ]
    return sorted(found, key=lambda f: (f.model._meta.label, f.name))


def relation_label(field):
    """ "deals", or "organization changes (from)" where a model points at the record twice."""
    plural = str(field.model._meta.verbose_name_plural)
    twice = sum(
        1 for f in field.model._meta.local_fields if f.many_to_one and f.remote_field.model is field.remote_field.model
    )
    return f"{plural} ({field.verbose_name})" if twice > 1 else plural


def merge_preview(*, records):
    """What points at each record, i.e. what moves when it is merged into another:
    [(record, [(label, count)])] in the records' order. One GROUP BY per relation."""
    ids = [r.pk for r in records]
    found = {pk: [] for pk in ids}
    for field in relations(type(records[0])):
        rows = (
            field.model._base_manager.filter(**{f"{field.attname}__in": ids})
            .order_by()
            .values(field.attname)
            .annotate(n=Count("pk"))
        )
        for row in rows:
            found[row[field.attname]].append((relation_label(field), row["n"]))
    return [(record, found[record.pk]) for record in records]


def changed_fields(merge):
    """[(label, before, after)] of the surviving record's fields the merge changed, readable
    (a related record by its name)."""
    model = merge.model
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    rows = []
    for attname, before in merge.survivor_before.items():
        after = merge.survivor_after.get(attname)
        if before == after:
            continue
        field = by_attname[attname]
        rows.append((field.verbose_name, _readable(field, before), _readable(field, after)))
    return rows


def _readable(field, value):
    if value in (None, ""):
        return "—"
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def may_merge(user, record):
    """Merging changes the survivor and puts the others in the trash: who may delete may merge."""
    return services.can_delete(user, record)


def _value(record, name):
    return getattr(record, record._meta.get_field(name).attname)


def _json(record, names):
    out = {}
    for name in names:
        field = record._meta.get_field(name)
        value = getattr(record, field.attname)
        out[field.attname] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _restore_fields(record, values):
    for attname, value in values.items():
        field = next(f for f in record._meta.concrete_fields if f.attname == attname)
        setattr(record, attname, field.to_python(value))


def _has_version(model):
    """A model with optimistic locking: a `version` integer that every change bumps (deals)."""
    try:
        return isinstance(model._meta.get_field("version"), models.IntegerField)
    except FieldDoesNotExist:
        return False


def _move(model, field, pks, *, to_id):
    """Point the rows `pks` of `model` at `to_id`: one UPDATE, and audit entries for the rows of an
    audited model (the deal's or lead's timeline shows its new organization or contact)."""
    rows = model._base_manager.filter(pk__in=pks)
    olds = list(rows) if audit_registry.is_registered(model) else []
    changes = {field.attname: to_id}
    if _has_version(model):
        changes["version"] = F("version") + 1  # optimistic locking: an open form or board sees the change
    rows.update(**changes)
    pairs = []
    for old in olds:
        new = copy.copy(old)
        setattr(new, field.attname, to_id)
        pairs.append((old, new))
    if pairs:
        audit_services.audit_record_bulk_update(pairs=pairs, fields=[field.name])


def _key(kind, value):
    return (kind, value.casefold() if kind == ContactChannel.Kind.EMAIL else value)


def _channel_keys(contact):
    """The contact's further addresses and numbers, as (kind, comparable value)."""
    return {
        _key(kind, value) for kind, value in ContactChannel.objects.filter(contact=contact).values_list("kind", "value")
    }


def _note(record, key, text, merge):
    LogEntry.objects.log_create(
        record, action=LogEntry.Action.UPDATE, changes={key: [None, text]}, additional_data={"merge": merge.pk}
    )


def _label(record):
    return f"{record} (#{record.pk})"


def _check_picks(model, picks, ids):
    fields = MERGE_FIELDS[model]
    unknown = sorted(set(picks) - set(fields))
    if unknown:
        raise ValidationError(_("These fields cannot be picked: %(fields)s.") % {"fields": ", ".join(unknown)})
    for name, source in picks.items():
        if source not in ids:
            raise ValidationError(
                _("The value of “%(field)s” must come from one of the merged records.")
                % {"field": model._meta.get_field(name).verbose_name},
                code="conflicting_pick",
            )


@transaction.atomic
def records_merge(*, actor, survivor, others, picks=None):
    """Merge `others` into `survivor` (organizations or contacts, all of one model).

    `picks` maps a field of MERGE_FIELDS to the id of the record whose value survives (the
    survivor's own value where no pick is given). Raises ValidationError for fewer than two
    records, a record merged or deleted meanwhile, or a pick from outside the merge;
    PermissionDenied when the actor may not change one of the records or hand the survivor to
    the picked owner. Returns the MergeRecord."""
    model = type(survivor)
    if model not in MERGE_FIELDS or any(type(o) is not model for o in others):
        raise ValidationError(_("Only organizations with organizations, or contacts with contacts, can be merged."))
    ids = [survivor.pk, *[o.pk for o in others]]
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise ValidationError(_("Pick at least two different records to merge."), code="too_few")
    if len(ids) > MAX_RECORDS:
        raise ValidationError(_("Merge at most %(count)s records at a time.") % {"count": MAX_RECORDS})
    picks = {name: int(source) for name, source in (picks or {}).items()}
    _check_picks(model, picks, ids)
    locked = {r.pk: r for r in model.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(locked) != len(ids):
        raise ValidationError(
            _("One of the records has been deleted or merged meanwhile. Open the list again."), code="gone"
        )
    for record in locked.values():
        if not may_merge(actor, record):
            raise PermissionDenied(_("You may not merge %(name)s.") % {"name": record})
    survivor, others = locked[ids[0]], [locked[pk] for pk in ids[1:]]
    snapshot = (*MERGE_FIELDS[model], *DERIVED_FIELDS[model])
    before = _json(survivor, snapshot)
    keys_before = _channel_keys(survivor) if model is Contact else set()
    old_main = (survivor.email, survivor.phone) if model is Contact else None
    old_organization = survivor.organization_id if model is Contact else None

    new_owner_source = locked[picks["owner"]] if "owner" in picks else survivor
    services._check_owner(actor, current=survivor.owner, new=new_owner_source.owner)
    for name, source in picks.items():
        field = model._meta.get_field(name)
        setattr(survivor, field.attname, _value(locked[source], name))

    merge = MergeRecord.objects.create(kind=KIND[model], survivor_id=survivor.pk, merged_ids=ids[1:], actor=actor)
    moved, summary = [], Counter()
    taken = set()
    if model is Contact:
        taken = {_key("email", survivor.email), _key("phone", survivor.phone)} | keys_before
    for field in relations(model):
        for other in others:
            rows = field.model._base_manager.filter(**{field.attname: other.pk})
            if field.model is ContactChannel:
                # A further address the survivor already has stays with the merged-away contact.
                keep = [pk for pk, kind, value in rows.values_list("pk", "kind", "value") if _key(kind, value) in taken]
                taken |= {_key(kind, value) for kind, value in rows.exclude(pk__in=keep).values_list("kind", "value")}
                rows = rows.exclude(pk__in=keep)
            pks = list(rows.values_list("pk", flat=True))
            if not pks:
                continue
            _move(field.model, field, pks, to_id=survivor.pk)
            moved.append([field.model._meta.label, field.name, other.pk, pks])
            summary[field.model._meta.label] += len(pks)

    channels_created = []
    if model is Contact:
        channels_created = _keep_addresses(survivor, others, old_main, taken)
        latest = ConsentChange.objects.filter(contact=survivor).order_by("-at", "-id").first()
        if latest is not None:
            survivor.email_consent, survivor.email_consent_at = latest.status, latest.at
    survivor.save()
    if model is Contact and survivor.organization_id != old_organization:
        ContactMove.objects.create(
            contact=survivor,
            from_organization_id=old_organization,
            to_organization_id=survivor.organization_id,
            actor=actor,
        )
    now = timezone.now()
    for other in others:
        other.deleted_at, other.deleted_by = now, actor
        other.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        _note(other, "merged_into", _label(survivor), merge)
    _note(survivor, "merged_from", ", ".join(_label(o) for o in others), merge)

    merge.survivor_before = before
    merge.survivor_after = _json(survivor, snapshot)
    merge.moved = moved
    merge.channels_created = channels_created
    merge.summary = dict(summary)
    merge.save()
    return merge


def _keep_addresses(survivor, others, old_main, taken):
    """The main e-mail addresses and phone numbers that are no longer anybody's main one (the
    survivor's before the merge, the merged-away contacts') become further ones of the survivor.
    Returns the ids of the rows created."""
    created = []
    candidates = [old_main, *((o.email, o.phone) for o in others)]
    for email, phone in candidates:
        for kind, value in ((ContactChannel.Kind.EMAIL, email), (ContactChannel.Kind.PHONE, phone)):
            if value and _key(kind, value) not in taken:
                taken.add(_key(kind, value))
                created.append(
                    ContactChannel.objects.create(
                        contact=survivor, kind=kind, label=ContactChannel.Label.OTHER, value=value
                    ).pk
                )
    return created


def can_undo(merge, *, now=None):
    return merge.undone_at is None and (now or timezone.now()) < merge.at + timedelta(days=RESTORE_DAYS)


@transaction.atomic
def merge_undo(*, actor, merge):
    """Undo a merge within RESTORE_DAYS days: the moved rows go back to the records they came
    from (rows moved elsewhere since then stay where they are), the created further addresses
    are removed, the survivor gets its values from before the merge, and the merged-away records
    come out of the trash. Refused when already undone, too old, or a merged-away record is no
    longer in the trash (restored or purged)."""
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    model = merge.model
    survivor = model.all_objects.select_for_update().filter(pk=merge.survivor_id).first()
    others = list(model.all_objects.select_for_update().filter(pk__in=merge.merged_ids).order_by("pk"))
    for record in (survivor, *others):
        if record is not None and not may_merge(actor, record):
            raise PermissionDenied(_("You may not undo this merge."))
    if merge.undone_at is not None:
        raise ValidationError(_("This merge has been undone already."), code="undone")
    if not can_undo(merge):
        raise ValidationError(
            _("This merge is more than %(days)s days old and can no longer be undone.") % {"days": RESTORE_DAYS},
            code="expired",
        )
    if survivor is None or survivor.deleted_at is not None:
        raise ValidationError(_("The merged record is in the trash or gone: restore it first."), code="survivor_gone")
    if len(others) != len(merge.merged_ids) or any(o.deleted_at is None for o in others):
        raise ValidationError(
            _("A merged-away record is no longer in the trash, so the merge cannot be undone."), code="restored"
        )
    for label, field_name, from_id, pks in reversed(merge.moved):
        related = apps.get_model(label)
        field = related._meta.get_field(field_name)
        back = list(
            related._base_manager.filter(pk__in=pks, **{field.attname: survivor.pk}).values_list("pk", flat=True)
        )
        if back:
            _move(related, field, back, to_id=from_id)
    ContactChannel.objects.filter(pk__in=merge.channels_created, contact_id=survivor.pk).delete()
    old_organization = getattr(survivor, "organization_id", None)
    _restore_fields(survivor, merge.survivor_before)
    survivor.save()
    if model is Contact and survivor.organization_id != old_organization:
        ContactMove.objects.create(
            contact=survivor,
            from_organization_id=old_organization,
            to_organization_id=survivor.organization_id,
            actor=actor,
        )
    for other in others:
        other.deleted_at, other.deleted_by = None, None
        other.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        _note(other, "merge_undone", _label(survivor), merge)
    _note(survivor, "merge_undone", ", ".join(_label(o) for o in others), merge)
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge
