"""Bulk actions on the deal, lead, organization and contact lists, and their undo.

A bulk action runs in one transaction: every row goes through the service its app uses for a
single change (deals: `deal_update` / `deal_move`, so each deal gets its StageChange, its
version bump and its audit entry, and the summary triggers keep the board's totals; leads:
`lead_update`; organizations and contacts: `customers.services`), and the first row a rule
refuses rolls the whole action back with that row's reason. The rows are always the ones
the actor sees: ids outside the scope are ignored, whatever the request says.

Each action leaves a BulkAction with every row's previous values. Undo (of the actor's last
action only) restores a row only if nobody changed it since (a deal's version, a record's
`updated_at`, a tag still on it, a record still in the trash) and reports the rest.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import User
from audit import context
from customers import services as customer_services
from customers.models import Tag
from deals import services as deal_services
from deals.models import Deal, Stage
from leads import services as lead_services
from lists import kinds
from lists.models import BulkAction

# More rows than this in one action are refused: narrow the filter first.
BULK_LIMIT = 2000


class BulkError(Exception):
    """The action was refused (nothing changed); the message is for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _message(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", None) or str(error)


REFUSALS = (deal_services.DealError, lead_services.LeadError, PermissionDenied, ValidationError)


def bulk_rows(*, actor, kind, ids=None, params=None):
    """The rows of a bulk action: the ids the actor picked, or every row matching the list's
    filters (`params`), always within what the actor sees; ordered by id."""
    if params is not None:
        rows = kind.filtered(actor, params)
    else:
        clean = []
        for value in ids or ():
            try:
                clean.append(int(value))
            except (TypeError, ValueError):
                continue
        rows = kind.visible(actor).filter(pk__in=clean)
    return rows.order_by("pk")


def _target(kind, action, target_id, actor):
    """The new owner, stage or tag the action names (refused when unknown or not allowed)."""
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        target_id = None
    if action == kinds.OWNER:
        owner = scoping.assignable_users(actor).filter(pk=target_id).first()
        if owner is None:
            raise BulkError(_("Choose an owner you may hand records to."))
        return owner
    if action == kinds.STAGE:
        stage = Stage.objects.filter(pk=target_id, pipeline__is_active=True).select_related("pipeline").first()
        if stage is None:
            raise BulkError(_("Choose a stage."))
        return stage
    if action == kinds.TAG:
        tag = Tag.objects.filter(pk=target_id).first()
        if tag is None:
            raise BulkError(_("Choose a tag."))
        return tag
    return None


def _stamp(record):
    """What a non-deal row looked like right after the action: its `updated_at`."""
    return record.updated_at.isoformat() if record.updated_at else ""


def bulk_apply(*, actor, list_key, action, rows, target_id=None):
    """Apply `action` to `rows` (from `bulk_rows`) in one transaction; returns the BulkAction.
    Raises BulkError (nothing changed) when a rule refuses any row."""
    kind = kinds.KINDS[list_key]
    if action not in kind.actions:
        raise BulkError(_("This list has no such action."))
    target = _target(kind, action, target_id, actor)
    ids = list(rows.values_list("pk", flat=True)[: BULK_LIMIT + 1])
    if not ids:
        raise BulkError(_("Select at least one row."))
    if len(ids) > BULK_LIMIT:
        raise BulkError(_("At most %(limit)d rows at once: narrow the filter first.") % {"limit": BULK_LIMIT})
    try:
        with transaction.atomic():
            record = BulkAction.objects.create(
                actor=actor, list_key=list_key, kind=action, target=str(target) if target is not None else ""
            )
            with context.recorded_as(context.Source.WEB, actor=actor, bulk_action=record.pk):
                changed = _APPLY[(list_key, action)](actor=actor, kind=kind, ids=ids, target=target)
            record.rows, record.count = changed, len(changed)
            record.save(update_fields=["rows", "count"])
    except REFUSALS as refused:
        raise BulkError(_message(refused)) from None
    return record


def _refuse(record, error):
    raise BulkError(_("%(record)s: %(reason)s") % {"record": record, "reason": _message(error)})


def _deals_locked(ids):
    return list(Deal.objects.filter(pk__in=ids).select_related("owner").order_by("pk"))


def _deal_owner(*, actor, kind, ids, target):
    changed = []
    for deal in _deals_locked(ids):
        if deal.owner_id == target.pk:
            continue
        try:
            updated = deal_services.deal_update(deal_id=deal.pk, version=deal.version, actor=actor, owner=target)
        except REFUSALS as error:
            _refuse(deal, error)
        changed.append({"id": deal.pk, "before": {"owner": deal.owner_id}, "after": {"version": updated.version}})
    return changed


def _deal_stage(*, actor, kind, ids, target):
    changed = []
    for deal in _deals_locked(ids):
        if deal.stage_id == target.pk:
            continue
        try:
            updated, _from = deal_services.deal_move(
                deal_id=deal.pk, stage_id=target.pk, version=deal.version, actor=actor
            )
        except REFUSALS as error:
            _refuse(deal, error)
        changed.append({"id": deal.pk, "before": {"stage": deal.stage_id}, "after": {"version": updated.version}})
    return changed


def _lead_owner(*, actor, kind, ids, target):
    changed = []
    for lead in kind.model.objects.filter(pk__in=ids).select_related("owner").order_by("pk"):
        if lead.owner_id == target.pk:
            continue
        try:
            updated = lead_services.lead_update(lead_id=lead.pk, actor=actor, owner=target)
        except REFUSALS as error:
            _refuse(lead, error)
        changed.append({"id": lead.pk, "before": {"owner": lead.owner_id}, "after": {"updated_at": _stamp(updated)}})
    return changed


def _customer_owner(*, actor, kind, ids, target):
    update = customer_services.organization_update if kind.key == "organizations" else customer_services.contact_update
    field = "organization" if kind.key == "organizations" else "contact"
    changed = []
    for record in kind.model.objects.filter(pk__in=ids).select_related("owner").order_by("pk"):
        if record.owner_id == target.pk:
            continue
        try:
            updated = update(actor=actor, **{field: record}, owner=target)
        except REFUSALS as error:
            _refuse(record, error)
        changed.append(
            {"id": record.pk, "before": {"owner": record.owner_id}, "after": {"updated_at": _stamp(updated)}}
        )
    return changed


def _add_tag(*, actor, kind, ids, target):
    records = list(kind.model.objects.filter(pk__in=ids).select_related("owner").order_by("pk"))
    for record in records:
        if not kind.can_change(actor, record):
            _refuse(record, PermissionDenied(_("You may not change it.")))
    changed = customer_services.record_tags_change(records=records, add=[target])
    return [{"id": record.pk, "before": {"tag": None}, "after": {"tag": target.pk}} for record in changed]


def _customer_delete(*, actor, kind, ids, target):
    delete = customer_services.organization_delete if kind.key == "organizations" else customer_services.contact_delete
    field = "organization" if kind.key == "organizations" else "contact"
    changed = []
    for record in kind.model.objects.filter(pk__in=ids).select_related("owner").order_by("pk"):
        try:
            deleted = delete(actor=actor, **{field: record})
        except REFUSALS as error:
            _refuse(record, error)
        changed.append(
            {"id": record.pk, "before": {"deleted_at": None}, "after": {"deleted_at": deleted.deleted_at.isoformat()}}
        )
    return changed


_APPLY = {
    ("deals", kinds.OWNER): _deal_owner,
    ("deals", kinds.STAGE): _deal_stage,
    ("deals", kinds.TAG): _add_tag,
    ("leads", kinds.OWNER): _lead_owner,
    ("leads", kinds.TAG): _add_tag,
    ("organizations", kinds.OWNER): _customer_owner,
    ("organizations", kinds.TAG): _add_tag,
    ("organizations", kinds.DELETE): _customer_delete,
    ("contacts", kinds.OWNER): _customer_owner,
    ("contacts", kinds.TAG): _add_tag,
    ("contacts", kinds.DELETE): _customer_delete,
}


# --- undo ---------------------------------------------------------------------------------------


def bulk_last_for_user(*, user, list_key):
    """The user's last bulk action on the list if it can still be undone, else None."""
    last = BulkAction.objects.filter(actor=user).order_by("-at", "-id").first()
    if last is None or last.list_key != list_key or last.undone_at is not None or not last.count:
        return None
    return last


def bulk_undo(*, actor, action_id):
    """Undo the actor's last bulk action: each row that nobody changed since gets its previous
    value back (through the same services); returns (restored count, [names not restored with
    the reason]). Raises BulkError when the action is not the actor's last or was undone."""
    with transaction.atomic():
        action = (
            BulkAction.objects.select_for_update().filter(pk=action_id, actor=actor).first()
            if str(action_id).isdigit()
            else None
        )
        last = BulkAction.objects.filter(actor=actor).order_by("-at", "-id").values_list("pk", flat=True).first()
        if action is None or action.pk != last:
            raise BulkError(_("Only your last bulk action can be undone."))
        if action.undone_at is not None:
            raise BulkError(_("This bulk action was undone already."))
        kind = kinds.KINDS[action.list_key]
        restored, skipped = 0, []
        with context.recorded_as(context.Source.WEB, actor=actor, bulk_action_undo=action.pk):
            for row, record in _undo_rows(kind, action):
                if record is None:
                    skipped.append({"name": f"#{row['id']}", "reason": _("it no longer exists")})
                    continue
                try:
                    with transaction.atomic():
                        reason = _UNDO[action.kind](actor=actor, kind=kind, row=row, record=record, action=action)
                except REFUSALS as error:
                    reason = _message(error)
                if reason:
                    skipped.append({"name": str(record), "reason": str(reason)})
                else:
                    restored += 1
        action.undone_at = timezone.now()
        action.undo_report = {"restored": restored, "skipped": skipped}
        action.save(update_fields=["undone_at", "undo_report"])
    return restored, skipped


def _undo_rows(kind, action):
    manager = getattr(kind.model, "all_objects", kind.model.objects)
    records = manager.select_related("owner").in_bulk([row["id"] for row in action.rows])
    for row in action.rows:
        yield row, records.get(row["id"])


def _changed_since():
    # Translated when the undo runs, in the user's language (a module constant would keep the
    # language active when the module was first imported).
    return _("it was changed since")


def _undo_deal(*, actor, kind, row, record, action):
    if record.version != row["after"]["version"]:
        return _changed_since()
    if action.kind == kinds.OWNER:
        owner = User.objects.filter(pk=row["before"]["owner"]).first()
        if owner is None:
            return _("its previous owner no longer exists")
        deal_services.deal_update(deal_id=record.pk, version=record.version, actor=actor, owner=owner)
    else:
        deal_services.deal_move(deal_id=record.pk, stage_id=row["before"]["stage"], version=record.version, actor=actor)
    return None


def _undo_owner(*, actor, kind, row, record, action):
    if kind.key == "deals":
        return _undo_deal(actor=actor, kind=kind, row=row, record=record, action=action)
    if _stamp(record) != row["after"]["updated_at"] or getattr(record, "deleted_at", None):
        return _changed_since()
    owner = User.objects.filter(pk=row["before"]["owner"]).first() if row["before"]["owner"] else None
    if kind.key == "leads":
        if owner is None:
            return _("a lead keeps an owner once it has one")
        lead_services.lead_update(lead_id=record.pk, actor=actor, owner=owner)
    elif kind.key == "organizations":
        customer_services.organization_update(actor=actor, organization=record, owner=owner)
    else:
        customer_services.contact_update(actor=actor, contact=record, owner=owner)
    return None


def _undo_stage(*, actor, kind, row, record, action):
    return _undo_deal(actor=actor, kind=kind, row=row, record=record, action=action)


def _undo_tag(*, actor, kind, row, record, action):
    tag = Tag.objects.filter(pk=row["after"]["tag"]).first()
    if tag is None:
        return _("the tag no longer exists")
    if not customer_services.record_tags_change(records=[record], remove=[tag]):
        return _("the tag was removed since")
    return None


def _undo_delete(*, actor, kind, row, record, action):
    if record.deleted_at is None or record.deleted_at.isoformat() != row["after"]["deleted_at"]:
        return _("it is no longer in the trash")
    if kind.key == "organizations":
        customer_services.organization_restore(actor=actor, organization=record)
    else:
        customer_services.contact_restore(actor=actor, contact=record)
    return None


_UNDO = {kinds.OWNER: _undo_owner, kinds.STAGE: _undo_stage, kinds.TAG: _undo_tag, kinds.DELETE: _undo_delete}
