"""Writes of the customers app: organizations and contacts, their further addresses, a
contact's moves between organizations and its consent, the trash and the restore.

Views find the record through a scoped selector first (a user acts only on what they see); the
rules here are the ones that need no other app: who may delete or hand over a record. Every save
goes through the model, so the audit trail records it.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import scoping
from audit import services as audit
from customers import consent, selectors
from customers.models import RESTORE_DAYS, ConsentChange, Contact, ContactChannel, ContactMove, Organization, Tag
from events.models import EventType
from events.services import event_emit


def _check_owner(actor, *, current, new):
    """A new owner only as `scoping.can_reassign` allows (a rep may take an unowned record)."""
    if new == current:
        return
    if new is not None and current is None and new.pk == actor.pk:
        return
    if new is None or not scoping.can_reassign(actor, current_owner=current, new_owner=new):
        raise PermissionDenied(_("You may not hand this record to that owner."))


def can_delete(user, record):
    """Admins, and whoever may change a record of its owner (an unowned one: admins and managers)."""
    if record.owner_id is None:
        return scoping.is_admin(user) or user.role == "manager"
    return scoping.can_change_owned(user, record.owner)


def _save(record, fields, *, actor):
    owner = fields.get("owner", record.owner)
    _check_owner(actor, current=record.owner if record.pk else None, new=owner)
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def organization_create(*, actor, **fields):
    """A new organization; its owner is the creator unless another one is given."""
    fields["owner"] = fields.get("owner") or actor
    return _save(Organization(), fields, actor=actor)


@transaction.atomic
def organization_update(*, actor, organization, **fields):
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    return _save(organization, fields, actor=actor)


@transaction.atomic
def contact_create(*, actor, channels=None, **fields):
    fields["owner"] = fields.get("owner") or actor
    contact = _save(Contact(), fields, actor=actor)
    if channels is not None:
        contact_channels_set(contact=contact, channels=channels)
    event_emit(EventType.CONTACT_CREATED, subject_type="contact", subject_id=contact.pk, actor=actor)
    return contact


@transaction.atomic
def contact_update(*, actor, contact, channels=None, **fields):
    """Save the fields; a new organization leaves a ContactMove row (where the contact was before)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = contact.organization_id
    _save(contact, fields, actor=actor)
    if contact.organization_id != before:
        ContactMove.objects.create(
            contact=contact, from_organization_id=before, to_organization_id=contact.organization_id, actor=actor
        )
    if channels is not None:
        contact_channels_set(contact=contact, channels=channels)
    return contact


def contact_channels_set(*, contact, channels):
    """Replace the contact's further addresses and numbers with `channels`: (kind, label, value)
    tuples, already validated (phone numbers in E.164); duplicates and the main ones are dropped."""
    main = {(ContactChannel.Kind.EMAIL, contact.email.casefold()), (ContactChannel.Kind.PHONE, contact.phone)}
    wanted, seen = [], set(main)
    for kind, label, value in channels:
        key = (kind, value.casefold() if kind == ContactChannel.Kind.EMAIL else value)
        if value and key not in seen:
            seen.add(key)
            wanted.append(ContactChannel(contact=contact, kind=kind, label=label, value=value))
    contact.channels.all().delete()
    ContactChannel.objects.bulk_create(wanted)
    return wanted


@transaction.atomic
def contact_consent_set(*, actor, contact, status, source, proof="", at=None):
    """Record the contact's e-mail consent with where it came from and what documents it (kept
    as history, `customers.consent.check` says what is required); `actor` None for the system."""
    source, proof = consent.check(status=status, source=source, proof=proof)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    change = ConsentChange.objects.create(
        contact=contact, status=status, source=source[:200], proof=proof, actor=actor, at=at or timezone.now()
    )
    contact.email_consent = status
    contact.email_consent_at = change.at
    contact.save(update_fields=["email_consent", "email_consent_at", "updated_at"])
    consent.changed(contact=contact, change=change)
    return contact


def _refuse_if_referenced(record):
    deals, leads = selectors.references(record)
    if deals or leads:
        raise ValidationError(
            _("%(name)s still has %(deals)s and %(leads)s. Move them to another record first.")
            % {
                "name": record,
                "deals": ngettext("%(count)d deal", "%(count)d deals", deals) % {"count": deals},
                "leads": ngettext("%(count)d lead", "%(count)d leads", leads) % {"count": leads},
            },
            code="referenced",
        )


def _trash(records, *, at, by):
    """Into the trash (`at` a time) or out of it (`at` None), saved one by one for the audit trail."""
    for record in records:
        record.deleted_at, record.deleted_by = at, by
        record.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


@transaction.atomic
def organization_delete(*, actor, organization):
    """Into the trash with the contacts that belong to it, restorable for RESTORE_DAYS days.
    Refused while deals or leads (of the organization or of those contacts) point at it."""
    if not can_delete(actor, organization):
        raise PermissionDenied(_("You may not delete this organization."))
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    contacts = list(Contact.objects.select_for_update().filter(organization=organization))
    _refuse_if_referenced(organization)
    for contact in selectors.contacts_in_use(organization, limit=1):
        _refuse_if_referenced(contact)  # its message names the contact and what points at it
    _trash((organization, *contacts), at=timezone.now(), by=actor)
    return organization


@transaction.atomic
def contact_delete(*, actor, contact):
    if not can_delete(actor, contact):
        raise PermissionDenied(_("You may not delete this contact."))
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _refuse_if_referenced(contact)
    _trash([contact], at=timezone.now(), by=actor)
    return contact


def _check_restorable(actor, record):
    if record.deleted_at is None:
        raise ValidationError(_("%(name)s is not in the trash.") % {"name": record}, code="not_deleted")
    if record.deleted_at < timezone.now() - timedelta(days=RESTORE_DAYS):
        raise ValidationError(
            _("%(name)s was deleted more than %(days)s days ago and can no longer be restored.")
            % {"name": record, "days": RESTORE_DAYS},
            code="expired",
        )
    if not can_delete(actor, record):
        raise PermissionDenied(_("You may not restore this record."))


@transaction.atomic
def organization_restore(*, actor, organization):
    """Out of the trash, with the contacts that went into it in the same deletion."""
    organization = Organization.all_objects.select_for_update().get(pk=organization.pk)
    _check_restorable(actor, organization)
    contacts = Contact.all_objects.filter(organization=organization, deleted_at=organization.deleted_at)
    _trash((organization, *contacts), at=None, by=None)
    return organization


@transaction.atomic
def contact_restore(*, actor, contact):
    contact = Contact.all_objects.select_for_update().get(pk=contact.pk)
    _check_restorable(actor, contact)
    _trash([contact], at=None, by=None)
    return contact


def trash_purge(*, now=None):
    """Remove for good what has been in the trash longer than RESTORE_DAYS (the nightly job).
    Returns (organizations, contacts) removed. A record something points at again stays."""
    cutoff = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    removed = {}
    for model in (Contact, Organization):
        expired = model.all_objects.filter(deleted_at__lt=cutoff, deals__isnull=True, leads__isnull=True)
        _total, per_model = model.all_objects.filter(pk__in=list(expired.values_list("pk", flat=True))).delete()
        removed[model] = per_model.get(model._meta.label, 0)
    return removed[Organization], removed[Contact]


# --- tags ---------------------------------------------------------------------------------------


def _check_tag_admin(actor):
    if not scoping.is_admin(actor):
        raise PermissionDenied(_("Only admins manage tags."))


def _tag_save(tag, *, name, colour):
    tag.name, tag.colour = " ".join((name or "").split()), colour
    tag.full_clean(validate_constraints=False)
    if Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk).exists():
        raise ValidationError({"name": _("A tag called %(name)s exists already.") % {"name": tag.name}})
    tag.save()
    return tag


@transaction.atomic
def tag_create(*, actor, name, colour=Tag.Colour.GREY):
    """A new tag (admins only); names are unique whatever their case."""
    _check_tag_admin(actor)
    return _tag_save(Tag(), name=name, colour=colour)


@transaction.atomic
def tag_update(*, actor, tag, name, colour):
    _check_tag_admin(actor)
    return _tag_save(Tag.objects.select_for_update().get(pk=tag.pk), name=name, colour=colour)


@transaction.atomic
def tag_delete(*, actor, tag):
    """Removes the tag from every record it is on (the records themselves stay)."""
    _check_tag_admin(actor)
    tag.delete()


def record_tags_change(*, records, add=(), remove=()):
    """Add the tags `add` to and remove the tags `remove` from `records` (organizations,
    contacts, leads or deals, all of one model, which the caller may change), with one audit
    entry per record whose tags changed. Returns the records that changed.

    Set-based: one read of the current tags, one INSERT, one DELETE, one INSERT of entries."""
    records = list(records)
    if not records:
        return []
    through = type(records[0]).tags.through
    owner_field = type(records[0])._meta.model_name  # "organization", "contact", "lead", "deal"
    ids = [r.pk for r in records]
    current = {}
    for record_id, tag_id, name in through.objects.filter(**{f"{owner_field}_id__in": ids}).values_list(
        f"{owner_field}_id", "tag_id", "tag__name"
    ):
        current.setdefault(record_id, {})[tag_id] = name
    add, remove = list(add), list(remove)
    new_links, changes, changed = [], [], []
    for record in records:
        before = dict(current.get(record.pk, {}))
        after = dict(before)
        for tag in add:
            if tag.pk not in after:
                after[tag.pk] = tag.name
                new_links.append(through(**{f"{owner_field}_id": record.pk, "tag_id": tag.pk}))
        for tag in remove:
            after.pop(tag.pk, None)
        if after.keys() != before.keys():
            changes.append((record, list(before.values()), list(after.values())))
            changed.append(record)
    through.objects.bulk_create(new_links, ignore_conflicts=True)
    if remove:
        through.objects.filter(**{f"{owner_field}_id__in": ids}, tag__in=[t.pk for t in remove]).delete()
    audit.audit_record_tag_changes(changes=changes)
    return changed
