"""Writes of deals. Every function owns its transaction and writes the history row.

Concurrency: optimistic locking. A change is one conditional
`UPDATE … WHERE id = %s AND version = %s` that bumps the version; zero rows updated
means somebody else changed the deal first, and the caller gets `DealStale` with the
deal as it is now. No row is held locked while the user thinks.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import scoping
from audit import services as audit
from customers.models import Organization
from deals import money
from deals.models import (
    CloseDateChange,
    Deal,
    DealProduct,
    LostReason,
    Pipeline,
    PriceListPrice,
    Product,
    Stage,
    StageChange,
)
from events.models import EventType
from events.services import event_emit


class DealError(Exception):
    """A change the rules refuse; `status` is the HTTP status a view answers with."""

    status = 400

    def __init__(self, message, *, deal=None):
        super().__init__(message)
        self.message = message
        self.deal = deal


class DealForbidden(DealError):
    status = 403


class DealStale(DealError):
    status = 409


def stage_change_record(*, deal, kind, actor, from_stage=None, from_stage_id=None, from_status="", at=None):
    """Append one StageChange describing the deal as it is now (after the change)."""
    return StageChange.objects.create(
        deal=deal,
        pipeline_id=deal.pipeline_id,
        kind=kind,
        from_stage_id=from_stage.pk if from_stage is not None else from_stage_id,
        to_stage_id=deal.stage_id,
        from_status=from_status,
        to_status=deal.status,
        actor=actor,
        owner_id=deal.owner_id,
        value=deal.value,
        at=at or timezone.now(),
    )


@transaction.atomic
def deal_create(
    *,
    title,
    stage,
    owner,
    actor,
    value=0,
    organization=None,
    contact=None,
    expected_close_date=None,
    probability=None,
    source_lead=None,
    origin=None,
    position=None,
):
    """Create an open deal in `stage` and record its 'created' history row.

    A new card goes to the top of its column unless a position is given.
    """
    if position is None:
        first = (
            Deal.objects.filter(stage=stage, status=Deal.Status.OPEN)
            .order_by("position")
            .values_list("position", flat=True)
            .first()
        )
        position = (first - 1.0) if first is not None else 0.0
    now = timezone.now()
    deal = Deal.objects.create(
        title=title,
        pipeline_id=stage.pipeline_id,
        stage=stage,
        position=position,
        owner=owner,
        organization=organization,
        contact=contact,
        value=value,
        expected_close_date=expected_close_date,
        probability=probability,
        source_lead=source_lead,
        origin=origin,
        stage_entered_at=now,
        created_at=now,
        updated_by=actor,
    )
    stage_change_record(deal=deal, kind=StageChange.Kind.CREATED, actor=actor, at=now)
    event_emit(
        EventType.DEAL_CREATED,
        subject_type="deal",
        subject_id=deal.pk,
        actor=actor,
        at=now,
        data={"source_lead_id": deal.source_lead_id, "origin_id": deal.origin_id},
    )
    return deal


@transaction.atomic
def deal_follow_up_create(*, origin_id, actor):
    """From a won deal, a new open deal in the first stage of the expansion pipeline (cross- or
    upselling) for the same organization and contact, linked to its origin, owned by the origin's
    owner (or by `actor` when that owner is no longer active)."""
    origin = _deal_for_change(actor=actor, deal_id=origin_id)
    if origin.status != Deal.Status.WON:
        raise DealError(_("Only a won deal gets a follow-up deal."), deal=origin)
    stage = (
        Stage.objects.filter(pipeline__kind=Pipeline.Kind.EXPANSION, pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__order", "pipeline_id", "order")
        .first()
    )
    if stage is None:
        raise DealError(_("There is no active expansion pipeline. An admin can add one."), deal=origin)
    return deal_create(
        title=(_("Follow-up: %(title)s") % {"title": origin.title})[: Deal._meta.get_field("title").max_length],
        stage=stage,
        owner=origin.owner if origin.owner.is_active else actor,
        actor=actor,
        organization=origin.organization,
        contact=origin.contact,
        origin=origin,
    )


def deal_touch(*, deal_id, at=None):
    """Tell the board that something shown on the deal's card changed elsewhere (a quote's
    state): an UPDATE of `updated_at` only — not the version, so nobody's open edit or drag
    turns stale. The deal summary's triggers count every UPDATE of a deal, so the board's poll
    token changes and the card is redrawn at the next poll (docs/board.md)."""
    Deal.objects.filter(pk=deal_id).update(updated_at=at or timezone.now())


def _deal_for_change(*, actor, deal_id, **annotations):
    """The deal as `actor` sees it: 404 outside the scope, 403 when visible but not theirs to change."""
    try:
        deal = (
            Deal.objects.filter(scoping.visible_owner_q(actor))
            .select_related("owner", "updated_by")
            .annotate(**annotations)
            .get(pk=deal_id)
        )
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal.") from None
    if not scoping.can_change_owned(actor, deal.owner):
        raise DealForbidden(_("You may look at this deal but not change it."), deal=deal)
    return deal


def _stale(deal):
    who = deal.updated_by or _("someone else")
    return DealStale(
        _("This deal was changed by %(user)s. The board shows it as it is now.") % {"user": who}, deal=deal
    )


def _check_version(deal, version):
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise DealError(_("The deal's version is missing."), deal=deal) from None
    if deal.version != version:
        raise _stale(deal)
    return version


def _audit(*, before, deal, fields, actor, in_history=False):
    """The audit entry of a change written with the conditional UPDATE (which sends no
    model signals): the same transaction, one INSERT. Stage and status changes are marked
    as also being in the StageChange history."""
    audit.audit_record_update(old=before, new=deal, fields=fields, actor=actor, in_history=in_history)


def _claim(*, deal, version, actor, now, **changes):
    """The conditional UPDATE: applies `changes` only if nobody changed the deal since `version`."""
    updated = Deal.objects.filter(pk=deal.pk, version=version).update(
        version=F("version") + 1, updated_at=now, updated_by=actor, **changes
    )
    if not updated:
        raise _stale(Deal.objects.select_related("updated_by").get(pk=deal.pk))
    deal.version = version + 1
    deal.updated_at = now
    deal.updated_by = actor


def _column_position(*, actor, stage_id, deal_id, after_id=None, before_id=None, index=None):
    """An SQL expression for the new position: between the neighbours the client names
    (`after_id` above, `before_id` below), else at `index` in the actor's view of the
    column, else at the top. Evaluated inside the UPDATE, so it costs no extra query."""
    column = Deal.objects.filter(stage_id=stage_id, status=Deal.Status.OPEN).exclude(pk=deal_id)

    def position_of(pk):
        return Subquery(column.filter(pk=pk).values("position")[:1])

    if after_id is None and before_id is None and index is not None:
        visible = column.filter(scoping.visible_owner_q(actor)).order_by("position", "id").values("position")
        above = Subquery(visible[index - 1 : index]) if index > 0 else None
        below = Subquery(visible[index : index + 1])
    else:
        above = position_of(after_id) if after_id is not None else None
        below = position_of(before_id) if before_id is not None else None
    top = Subquery(column.order_by("position").values("position")[:1]) - Value(1.0)
    options = []
    if above is not None and below is not None:
        options.append((above + below) / Value(2.0))
    if above is not None:
        options.append(above + Value(1.0))
    if below is not None:
        options.append(below - Value(1.0))
    options += [top, Value(0.0)]
    return Coalesce(*options)


def _to_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DealError(_("Invalid position.")) from None


@transaction.atomic
def deal_move(*, deal_id, stage_id, version, actor, after_id=None, before_id=None, index=None):
    """Move an open deal to `stage_id` (same pipeline) and/or reorder it in its column.

    Checks, in order: scope (404), right to change (403), open (400), same pipeline (400),
    version (409). A stage change resets `stage_entered_at` and writes one MOVED
    StageChange; a reorder within the column only bumps the version.
    Returns (deal, from_stage_id).
    """
    stage_id = _to_int(stage_id)
    if stage_id is None:
        raise DealError(_("Choose a stage."))
    target = Stage.objects.filter(pk=stage_id)
    deal = _deal_for_change(
        actor=actor,
        deal_id=deal_id,
        target_pipeline_id=Subquery(target.values("pipeline_id")[:1]),
        target_stage_name=Subquery(target.values("name")[:1]),
        from_stage_name=F("stage__name"),
    )
    if deal.status != Deal.Status.OPEN:
        raise DealError(_("This deal is closed. Reopen it before moving it."), deal=deal)
    if deal.target_pipeline_id is None:
        raise DealError(_("There is no such stage."), deal=deal)
    if deal.target_pipeline_id != deal.pipeline_id:
        raise DealError(_("That stage belongs to another pipeline."), deal=deal)
    version = _check_version(deal, version)
    index = _to_int(index)
    if index is not None and index < 0:
        raise DealError(_("Invalid position."), deal=deal)
    now = timezone.now()
    from_stage_id = deal.stage_id
    after_id, before_id = _to_int(after_id), _to_int(before_id)
    if stage_id == from_stage_id and after_id is None and before_id is None and index is None:
        return deal, from_stage_id  # "moved" to where it is: nothing to write
    changes = {
        "stage_id": stage_id,
        "position": _column_position(
            actor=actor,
            stage_id=stage_id,
            deal_id=deal.pk,
            after_id=after_id,
            before_id=before_id,
            index=index,
        ),
    }
    if stage_id != from_stage_id:
        changes["stage_entered_at"] = now
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=now, **changes)
    deal.stage_id = stage_id
    if stage_id != from_stage_id:
        deal.stage_entered_at = now
        stage_change_record(
            deal=deal, kind=StageChange.Kind.MOVED, actor=actor, from_stage_id=from_stage_id, from_status="open", at=now
        )
        _audit(before=before, deal=deal, fields=["stage"], actor=actor, in_history=True)
        event_emit(
            EventType.DEAL_MOVED,
            subject_type="deal",
            subject_id=deal.pk,
            actor=actor,
            at=now,
            data={
                "from_stage": {"id": from_stage_id, "name": deal.from_stage_name},
                "to_stage": {"id": stage_id, "name": deal.target_stage_name},
                "version": deal.version,
            },
        )
    return deal, from_stage_id


@transaction.atomic
def deal_win(*, deal_id, version, actor):
    """Mark an open deal won: records won_at and one WON StageChange."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    if deal.status != Deal.Status.OPEN:
        raise DealError(_("Only an open deal can be won."), deal=deal)
    version = _check_version(deal, version)
    now = timezone.now()
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=now, status=Deal.Status.WON, won_at=now)
    deal.status, deal.won_at = Deal.Status.WON, now
    stage_change_record(
        deal=deal, kind=StageChange.Kind.WON, actor=actor, from_stage_id=deal.stage_id, from_status="open", at=now
    )
    _audit(before=before, deal=deal, fields=["status", "won_at"], actor=actor, in_history=True)
    event_emit(
        EventType.DEAL_WON, subject_type="deal", subject_id=deal.pk, actor=actor, at=now, data={"version": deal.version}
    )
    return deal


@transaction.atomic
def deal_lose(*, deal_id, version, actor, reason_id, note=""):
    """Mark an open deal lost: a lost reason is required; records lost_at and the stage it was lost from."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    if deal.status != Deal.Status.OPEN:
        raise DealError(_("Only an open deal can be lost."), deal=deal)
    reason = LostReason.objects.filter(pk=_to_int(reason_id) if reason_id else None, is_active=True).first()
    if reason is None:
        raise DealError(_("Choose why the deal was lost."), deal=deal)
    version = _check_version(deal, version)
    now = timezone.now()
    changes = {
        "status": Deal.Status.LOST,
        "lost_at": now,
        "lost_reason": reason,
        "lost_note": (note or "").strip(),
        "lost_from_stage_id": deal.stage_id,
    }
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=now, **changes)
    for name, value in changes.items():
        setattr(deal, name, value)
    stage_change_record(
        deal=deal, kind=StageChange.Kind.LOST, actor=actor, from_stage_id=deal.stage_id, from_status="open", at=now
    )
    _audit(
        before=before,
        deal=deal,
        fields=["status", "lost_at", "lost_reason", "lost_note", "lost_from_stage"],
        actor=actor,
        in_history=True,
    )
    event_emit(
        EventType.DEAL_LOST,
        subject_type="deal",
        subject_id=deal.pk,
        actor=actor,
        at=now,
        data={"reason": {"id": reason.pk, "name": reason.name}, "note": deal.lost_note, "version": deal.version},
    )
    return deal


@transaction.atomic
def deal_reopen(*, deal_id, version, actor):
    """Reopen a won or lost deal in its stage (at the top of the column): clears the outcome
    fields and writes one REOPENED StageChange."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    if deal.status == Deal.Status.OPEN:
        raise DealError(_("This deal is already open."), deal=deal)
    version = _check_version(deal, version)
    now = timezone.now()
    from_status = deal.status
    changes = {
        "status": Deal.Status.OPEN,
        "won_at": None,
        "lost_at": None,
        "lost_reason": None,
        "lost_note": "",
        "lost_from_stage": None,
        "stage_entered_at": now,
        "position": _column_position(actor=actor, stage_id=deal.stage_id, deal_id=deal.pk),
    }
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=now, **changes)
    for name, value in changes.items():
        if name != "position":
            setattr(deal, name, value)
    stage_change_record(
        deal=deal,
        kind=StageChange.Kind.REOPENED,
        actor=actor,
        from_stage_id=deal.stage_id,
        from_status=from_status,
        at=now,
    )
    _audit(
        before=before,
        deal=deal,
        fields=[name for name in changes if name != "position"],
        actor=actor,
        in_history=True,
    )
    return deal


@transaction.atomic
def deal_update(*, deal_id, version, actor, organization_name=None, **fields):
    """Edit a deal's details. A new expected close date writes a CloseDateChange; a new owner
    needs `scoping.can_reassign`. Stage and status change only through move/win/lose/reopen.
    While the value follows the line items, the value is their net total and a given value is
    ignored; switching it on sets the value to that total at once."""
    allowed = {
        "title",
        "organization",
        "contact",
        "value",
        "expected_close_date",
        "probability",
        "owner",
        "notes",
        "value_follows_line_items",
        "price_list",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"deal_update does not change {sorted(unknown)}")
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    version = _check_version(deal, version)
    if organization_name is not None:
        fields["organization"] = organization_for_name(organization_name)
    new_owner = fields.get("owner")
    reassigning = new_owner is not None and new_owner.pk != deal.owner_id
    if reassigning and not scoping.can_reassign(actor, current_owner=deal.owner, new_owner=new_owner):
        raise DealForbidden(_("You may not hand this deal to %(user)s.") % {"user": new_owner}, deal=deal)
    if fields.get("value_follows_line_items", deal.value_follows_line_items):
        fields["value"] = _line_net_total(deal.pk)
    changes = {name: value for name, value in fields.items() if getattr(deal, name) != value}
    now = timezone.now()
    old_date = deal.expected_close_date
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=now, **changes)
    for name, value in changes.items():
        setattr(deal, name, value)
    _audit(before=before, deal=deal, fields=list(changes), actor=actor)
    if "expected_close_date" in changes:
        CloseDateChange.objects.create(
            deal=deal, old_date=old_date, new_date=changes["expected_close_date"], actor=actor, at=now
        )
    return deal


@transaction.atomic
def deal_customer_set(*, deal_id, actor, organization=None, contact=None, version=None):
    """Attach an organization and/or a contact to the deal (the deal page's "new organization"
    and "new contact" forms: the record was just created for this deal). Only the given ones
    change. `version`, when given, is checked; without it the change applies to the deal as it
    is now (it touches no field the user was editing elsewhere). Returns (deal, old version)."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    version = deal.version if version in (None, "") else _check_version(deal, version)
    changes = {}
    if organization is not None and organization.pk != deal.organization_id:
        changes["organization"] = organization
    if contact is not None and contact.pk != deal.contact_id:
        changes["contact"] = contact
    if not changes:
        return deal, version
    before = audit.snapshot(deal)
    _claim(deal=deal, version=version, actor=actor, now=timezone.now(), **changes)
    for name, value in changes.items():
        setattr(deal, name, value)
    _audit(before=before, deal=deal, fields=list(changes), actor=actor)
    return deal, version


# --- line items -------------------------------------------------------------------------------


def _line_net_total(deal_id):
    total = DealProduct.objects.filter(deal_id=deal_id).aggregate(total=Sum("net_amount"))["total"]
    return money.round_money(total or 0)  # SQLite's SUM loses the scale


def _decimal(value, *, message, minimum=None, maximum=None, strictly_positive=False):
    try:
        number = Decimal(str(value).strip().replace(",", ".")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        raise DealError(message) from None
    if not number.is_finite():
        raise DealError(message)
    if strictly_positive and number <= 0:
        raise DealError(message)
    if minimum is not None and number < minimum:
        raise DealError(message)
    if maximum is not None and number > maximum:
        raise DealError(message)
    return number


def _line_fields(
    *,
    product,
    description,
    quantity,
    unit,
    unit_price,
    discount_percent,
    vat_rate,
    kept_product_id=None,
    price_list_id=None,
):
    """The line's fields, checked: a product or a text, quantity > 0, price ≥ 0, discount and
    VAT 0–100 %. A catalogue product fills in what is left empty (unit, VAT, and the price: the
    deal's price list's price of the product, else the product's own)."""
    description = " ".join((description or "").split())
    if product is None and not description:
        raise DealError(_("Choose a product or describe the line item."))
    if product is not None and not product.is_active and product.pk != kept_product_id:
        raise DealError(_("This product is no longer offered."))
    if unit_price in (None, ""):
        if product is None:
            raise DealError(_("Enter a unit price."))
        listed = None
        if price_list_id is not None:
            listed = PriceListPrice.objects.filter(price_list_id=price_list_id, product=product).first()
        unit_price = listed.unit_price if listed is not None else product.unit_price
    if vat_rate in (None, ""):
        vat_rate = product.vat_rate if product is not None else Decimal(0)
    if not unit and product is not None:
        unit = product.unit
    return {
        "product": product,
        "description": description[:200],
        "quantity": _decimal(
            quantity,
            message=_("The quantity must be a number greater than 0."),
            strictly_positive=True,
            maximum=Decimal("999999999"),
        ),
        "unit": (unit or "").strip()[:30],
        "unit_price": _decimal(
            unit_price,
            message=_("The unit price must be a number of at least 0."),
            minimum=0,
            maximum=Decimal("9999999999"),
        ),
        "discount_percent": _decimal(
            discount_percent or 0, message=_("The discount must be between 0 and 100 %."), minimum=0, maximum=100
        ),
        "vat_rate": _decimal(vat_rate, message=_("The VAT rate must be between 0 and 100 %."), minimum=0, maximum=100),
    }


def _lines_changed(*, deal, actor):
    """Bump the version (the board's poll and optimistic locking see the change) and, while the
    value follows the line items, set it to their net total — one UPDATE in the transaction of
    the line item change; the summary triggers keep the board's totals. Returns the version the
    deal had before."""
    version = deal.version
    changes = {}
    before = audit.snapshot(deal)
    if deal.value_follows_line_items:
        total = _line_net_total(deal.pk)
        if total != deal.value:
            changes["value"] = total
    _claim(deal=deal, version=version, actor=actor, now=timezone.now(), **changes)
    for name, value in changes.items():
        setattr(deal, name, value)
    _audit(before=before, deal=deal, fields=list(changes), actor=actor)
    return version


@transaction.atomic
def deal_value_follow(*, deal_id, actor):
    """After line items were changed outside these services (the Django admin's inline): a deal
    whose value follows them gets their net total now (version bumped, audited)."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    if deal.value_follows_line_items and deal.value != _line_net_total(deal.pk):
        _lines_changed(deal=deal, actor=actor)
    return deal


def _save_line(line):
    try:
        with transaction.atomic():
            line.save()
    except IntegrityError:
        if line.product_id and DealProduct.objects.filter(deal_id=line.deal_id, product_id=line.product_id).exists():
            raise DealError(
                _("This product is already on the deal. Change the quantity of its line instead.")
            ) from None
        raise
    return line


@transaction.atomic
def deal_line_item_add(
    *,
    deal_id,
    actor,
    product=None,
    description="",
    quantity=1,
    unit="",
    unit_price=None,
    discount_percent=0,
    vat_rate=None,
):
    """Add a line item at the end of the deal's list. Returns (deal, line, old version)."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    fields = _line_fields(
        price_list_id=deal.price_list_id,
        product=product,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_rate=vat_rate,
    )
    last = DealProduct.objects.filter(deal=deal).aggregate(last=Max("position"))["last"]
    line = _save_line(DealProduct(deal=deal, position=(last or 0) + 1, **fields))
    return deal, line, _lines_changed(deal=deal, actor=actor)


def _line_for_change(*, deal, line_id):
    try:
        return DealProduct.objects.select_related("product").get(pk=line_id, deal=deal)
    except (DealProduct.DoesNotExist, ValueError, TypeError):
        raise DealError(_("This line item no longer exists."), deal=deal) from None


@transaction.atomic
def deal_line_item_update(
    *,
    deal_id,
    line_id,
    actor,
    product=None,
    description="",
    quantity=1,
    unit="",
    unit_price=None,
    discount_percent=0,
    vat_rate=None,
):
    """Change a line item (every field; empty price or VAT take the product's). Returns (deal, line, old version)."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    line = _line_for_change(deal=deal, line_id=line_id)
    fields = _line_fields(
        price_list_id=deal.price_list_id,
        kept_product_id=line.product_id,  # a deactivated product stays on the lines that have it
        product=product,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        discount_percent=discount_percent,
        vat_rate=vat_rate,
    )
    for name, value in fields.items():
        setattr(line, name, value)
    _save_line(line)
    return deal, line, _lines_changed(deal=deal, actor=actor)


@transaction.atomic
def deal_line_item_remove(*, deal_id, line_id, actor):
    """Remove a line item. Returns (deal, old version)."""
    deal = _deal_for_change(actor=actor, deal_id=deal_id)
    _line_for_change(deal=deal, line_id=line_id).delete()
    return deal, _lines_changed(deal=deal, actor=actor)


# --- the product catalogue ------------------------------------------------------------------


def _check_catalogue_admin(actor):
    if not scoping.is_admin(actor):
        raise PermissionDenied(_("Only admins manage the product catalogue."))


PRODUCT_FIELDS = {"name", "sku", "unit", "unit_price", "vat_rate", "is_active"}


def _product_save(product, fields):
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValueError(f"products have no fields {sorted(unknown)}")
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_create(*, actor, **fields):
    """A new catalogue product (admins only; the audit trail records it)."""
    _check_catalogue_admin(actor)
    return _product_save(Product(), fields)


@transaction.atomic
def product_update(*, actor, product_id, **fields):
    """Change a product. The lines already on deals keep their own price and VAT."""
    _check_catalogue_admin(actor)
    return _product_save(Product.objects.select_for_update().get(pk=product_id), fields)


@transaction.atomic
def product_set_active(*, actor, product_id, active):
    """Deactivate (no longer offered on new lines; existing lines keep it) or reactivate a product."""
    return product_update(actor=actor, product_id=product_id, is_active=active)


def organization_for_name(name):
    """The organization called `name` (case-insensitive), created if new; None for a blank name."""
    name = (name or "").strip()
    if not name:
        return None
    organization = Organization.objects.filter(name__iexact=name).order_by("id").first()
    return organization or Organization.objects.create(name=name)


@transaction.atomic
def deal_quick_add(
    *,
    actor,
    stage,
    title,
    value=0,
    organization_name="",
    expected_close_date=None,
    organization=None,
    contact=None,
    probability=None,
    owner=None,
):
    """A new deal at the top of `stage`, owned by the actor unless `owner` is given (then the
    rule of a reassignment applies: `scoping.can_reassign`). The organization is the one given,
    else matched by name or created."""
    if (
        owner is not None
        and owner.pk != actor.pk
        and not scoping.can_reassign(actor, current_owner=None, new_owner=owner)
    ):
        raise DealForbidden(_("You may not hand this deal to %(user)s.") % {"user": owner})
    return deal_create(
        title=title,
        stage=stage,
        owner=owner or actor,
        actor=actor,
        value=value,
        organization=organization if organization is not None else organization_for_name(organization_name),
        contact=contact,
        probability=probability,
        expected_close_date=expected_close_date,
    )
