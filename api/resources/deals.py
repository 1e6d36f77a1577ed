"""Deals: list (the board's and deal list's filters), read, create, change, move, win, lose,
reopen, and their line items.

Reads go through `deals.selectors` (scoped to the caller), writes through `deals.services`,
exactly as the board and the deal page do; the payloads are validated with the pages' forms.
There is no delete: the app has none (a deal is lost, not deleted)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django import forms as django_forms
from django.db.models import Prefetch, prefetch_related_objects
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, field_validator

from accounts import scoping
from api import filtering
from api.pagination import CursorPagination
from api.resources._forms import form_or_422
from api.resources.users import UserOut
from api.schemas import Money, Ref, money, ref, requested
from deals import filters as deal_filters
from deals import forms, selectors, services
from deals.models import DealProduct
from events import representations

router = Router(tags=["deals"])

DealQuery = filtering.query_schema(deal_filters.BoardFilter, "DealQuery")

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=10000)]
EXPANDS = ("organization", "contact", "owner", "line_items")


class ExpandQuery(Schema):
    expand: str | None = Field(
        None, max_length=200, description="Comma-separated: organization, contact, owner, line_items"
    )

    @field_validator("expand")
    @classmethod
    def known_names(cls, value):
        unknown = {part.strip() for part in (value or "").split(",") if part.strip()} - set(EXPANDS)
        if unknown:
            raise ValueError(f"Unknown: {', '.join(sorted(unknown))}. Offered: {', '.join(EXPANDS)}.")
        return value


class OrganizationExpanded(Schema):
    """The deal's organization with `?expand=organization`."""

    id: int
    name: str
    website: str
    industry: str
    size_band: str
    region: str
    city: str
    country: str


class ContactExpanded(Schema):
    """The deal's contact with `?expand=contact`."""

    id: int
    name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str

    @staticmethod
    def resolve_name(contact):
        return str(contact)


class DealState(Schema):
    """The deal a line item belongs to, as the line item change left it."""

    id: int
    value: Money
    version: int

    @staticmethod
    def resolve_value(deal):
        return money(deal.value)


class LineItemOut(Schema):
    id: int
    position: int
    product: Ref | None
    description: str
    label: str
    quantity: str
    unit: str
    unit_price: Money
    discount_percent: str
    vat_rate: str
    net_amount: Money
    vat_amount: Money
    gross_amount: Money

    @staticmethod
    def resolve_product(line):
        return ref(line.product) if line.product_id else None

    @staticmethod
    def resolve_quantity(line):
        return f"{Decimal(line.quantity).normalize():f}"

    @staticmethod
    def resolve_unit_price(line):
        return money(line.unit_price)

    @staticmethod
    def resolve_discount_percent(line):
        return f"{line.discount_percent:.2f}"

    @staticmethod
    def resolve_vat_rate(line):
        return f"{line.vat_rate:.2f}"

    @staticmethod
    def resolve_net_amount(line):
        return money(line.net_amount)

    @staticmethod
    def resolve_vat_amount(line):
        return money(line.vat_amount)

    @staticmethod
    def resolve_gross_amount(line):
        return money(line.gross_amount)


def _expanded(context, name):
    request = (context or {}).get("request")
    return request is not None and name in requested(request, "expand")


class DealOut(Schema):
    id: int
    title: str
    status: str
    pipeline: Ref
    stage: Ref
    owner: UserOut | Ref
    organization: OrganizationExpanded | Ref | None
    contact: ContactExpanded | Ref | None
    value: Money
    value_follows_line_items: bool
    probability: int | None
    expected_close_date: date | None
    won_at: datetime | None
    lost_at: datetime | None
    lost_reason: Ref | None
    lost_note: str
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    line_items: list[LineItemOut] | None = Field(None, description="Only with `?expand=line_items`")

    @staticmethod
    def resolve_pipeline(deal):
        return ref(deal.pipeline)

    @staticmethod
    def resolve_stage(deal):
        return ref(deal.stage)

    @staticmethod
    def resolve_owner(deal, context):
        return deal.owner if _expanded(context, "owner") else ref(deal.owner)

    @staticmethod
    def resolve_organization(deal, context):
        if deal.organization_id is None:
            return None
        return deal.organization if _expanded(context, "organization") else ref(deal.organization)

    @staticmethod
    def resolve_contact(deal, context):
        if deal.contact_id is None:
            return None
        return deal.contact if _expanded(context, "contact") else ref(deal.contact)

    @staticmethod
    def resolve_lost_reason(deal):
        return ref(deal.lost_reason) if deal.lost_reason_id else None

    @staticmethod
    def resolve_value(deal):
        return money(deal.value)

    @staticmethod
    def resolve_line_items(deal, context):
        if not _expanded(context, "line_items"):
            return None
        return list(deal.line_items.all())


def _with_expands(deals, request):
    """The joins and the one prefetch the `?expand=` members read (none per row)."""
    wanted = requested(request, "expand")
    deals = deals.select_related("stage", "pipeline", "owner", "organization", "contact", "lost_reason")
    if "owner" in wanted:
        deals = deals.select_related("owner__team")
    if "line_items" in wanted:
        deals = deals.prefetch_related(_line_items_prefetch())
    return deals


def _line_items_prefetch():
    return Prefetch("line_items", queryset=DealProduct.objects.select_related("product").order_by("position", "id"))


def _read(request, deal_id):
    """The deal as `GET /deals/{id}` shows it (with the caller's `?expand=`)."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if "line_items" in requested(request, "expand"):
        prefetch_related_objects([deal], _line_items_prefetch())
    return deal


@router.get("/", response=list[DealOut], summary="List deals")
@paginate(CursorPagination, ordering=("-id",))
def deal_list(request: HttpRequest, query: Query[DealQuery], expand: Query[ExpandQuery]):
    """The deals you may see, newest first. Filters as on the board (`status` defaults to open;
    `status=all` for every deal). `?expand=organization,contact,owner,line_items` gives those
    records whole instead of `{id, name}`."""
    filterset = selectors.board_filter(
        user=request.user, pipeline=None, data=filtering.filter_data(query), with_choices=False
    )
    return _with_expands(filtering.checked(filterset), request)


@router.get("/{int:deal_id}", response=DealOut, summary="Read a deal")
def deal_read(request: HttpRequest, deal_id: int, expand: Query[ExpandQuery]):
    """One deal you may see (404 otherwise). `?expand=` as on the list."""
    return _read(request, deal_id)


# --- create and change ------------------------------------------------------------------------


class DealIn(Schema):
    title: str = Field(max_length=1000)
    stage_id: Id
    value: Decimal | None = None
    organization_id: Id | None = None
    organization_name: str | None = Field(None, max_length=1000)
    contact_id: Id | None = None
    expected_close_date: date | None = None
    probability: int | None = Field(None, ge=-(2**31), le=2**31)
    owner_id: Id | None = None


class DealCreateForm(forms.NewDealForm):
    """The "+ Deal" page's form with what the API also sets: an organization by id, a contact,
    the probability and the owner (among the users the caller sees; the service applies the
    reassignment rule)."""

    organization_id = django_forms.ModelChoiceField(queryset=None, required=False)
    contact = django_forms.ModelChoiceField(queryset=None, required=False)
    probability = django_forms.IntegerField(min_value=0, max_value=100, required=False)
    owner = django_forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization_id"].queryset = selectors.organization_choices_for_user(user=user)
        self.fields["contact"].queryset = selectors.contact_choices_for_user(user=user)
        self.fields["owner"].queryset = scoping.visible_users(user).filter(is_active=True)

    def clean(self):
        cleaned = super().clean()
        organization, contact = cleaned.get("organization_id"), cleaned.get("contact")
        if organization is not None and cleaned.get("organization"):
            self.add_error("organization", _("Give an organization by id or by name, not both."))
        if contact is not None and organization is not None and contact.organization_id not in (None, organization.pk):
            self.add_error("contact", _("%(contact)s works for another organization.") % {"contact": contact})
        return cleaned


CREATE_NAMES = {"stage": "stage_id", "organization": "organization_name", "contact": "contact_id", "owner": "owner_id"}


@router.post("/", response={201: DealOut}, summary="Create a deal")
def deal_create(request: HttpRequest, payload: DealIn):
    """A new open deal at the top of its stage (any stage of an active pipeline), validated as
    the "+ Deal" page's form. The owner is you unless `owner_id` names another user you may
    hand deals to (a manager: the teams they manage; an admin: anyone active); else 403.
    The organization: `organization_id`, or `organization_name` (matched by name, created if new)."""
    data = payload.dict()
    data["stage"] = data.pop("stage_id")
    data["organization"] = data.pop("organization_name") or ""
    data["contact"] = data.pop("contact_id")
    data["owner"] = data.pop("owner_id")
    form = form_or_422(DealCreateForm(data, user=request.user), names=CREATE_NAMES)
    cleaned = form.cleaned_data
    deal = services.deal_quick_add(
        actor=request.user,
        stage=cleaned["stage"],
        title=cleaned["title"],
        value=cleaned["value"],
        organization_name=cleaned["organization"],
        organization=cleaned["organization_id"],
        contact=cleaned["contact"],
        probability=cleaned["probability"],
        expected_close_date=cleaned["expected_close_date"],
        owner=cleaned["owner"],
    )
    return Status(201, _read(request, deal.pk))


class DealPatch(Schema):
    version: int = Field(ge=-(2**31), le=2**31)
    title: str | None = Field(None, max_length=1000)
    organization_id: Id | None = None
    organization_name: str | None = Field(None, max_length=1000)
    contact_id: Id | None = None
    value: Decimal | None = None
    value_follows_line_items: bool | None = None
    expected_close_date: date | None = None
    probability: int | None = Field(None, ge=-(2**31), le=2**31)
    owner_id: Id | None = None
    price_list_id: Id | None = None
    notes: Text | None = None


# The API's names of the deal page's form fields.
EDIT_NAMES = {
    "organization": "organization_id",
    "contact": "contact_id",
    "owner": "owner_id",
    "price_list": "price_list_id",
}
EDIT_FIELDS = ("title", "organization", "contact", "value", "expected_close_date", "probability", "price_list", "notes")


@router.patch("/{int:deal_id}", response=DealOut, summary="Change a deal")
def deal_update(request: HttpRequest, deal_id: int, payload: DealPatch):
    """The fields sent change (null clears an optional one), validated as the deal page's form;
    `version` is the one you read: 409 with `current_version` when the deal changed since.
    Stage and status change only through move, win, lose and reopen. A new owner needs the
    right to reassign (403). While `value_follows_line_items` is on, the value is the line
    items' net total and a sent value is ignored."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if not scoping.can_change_owned(request.user, deal.owner):
        raise services.DealForbidden(_("You may look at this deal but not change it."), deal=deal)
    sent = payload.dict(exclude_unset=True)
    organization_name = sent.pop("organization_name", None)
    reverse = {api: page for page, api in EDIT_NAMES.items()}
    data = model_to_dict(deal, fields=[*EDIT_FIELDS, "value_follows_line_items", "owner"])
    data.update({reverse.get(name, name): value for name, value in sent.items()})
    if data.get("value") is None:
        data["value"] = deal.value  # the model's value is required: null keeps it
    form = form_or_422(forms.DealEditForm(data, instance=deal, user=request.user), names=EDIT_NAMES)
    fields = {name: form.cleaned_data[name] for name in EDIT_FIELDS}
    fields["value_follows_line_items"] = form.cleaned_data["value_follows_line_items"]
    if "owner" in form.cleaned_data:
        fields["owner"] = form.cleaned_data["owner"]
    elif "owner_id" in sent and sent["owner_id"] != deal.owner_id:
        # A rep's page has no owner field: handing the deal on is not theirs to do.
        raise services.DealForbidden(_("You may look at this deal but not change it."), deal=deal)
    if organization_name is not None:
        fields.pop("organization")
    services.deal_update(
        deal_id=deal.pk,
        version=payload.version,
        actor=request.user,
        organization_name=organization_name,
        **fields,
    )
    return _read(request, deal.pk)


# --- the move and the outcomes ------------------------------------------------------------------


class MoveIn(Schema):
    stage_id: Id
    version: int = Field(ge=-(2**31), le=2**31)
    after_id: Id | None = None
    before_id: Id | None = None
    index: int | None = Field(None, ge=0, le=10**6, description="Position in the column as you see it (0: top)")


@router.post("/{int:deal_id}/move", response=DealOut, summary="Move a deal to another stage")
def deal_move(request: HttpRequest, deal_id: int, payload: MoveIn):
    """As a drag on the board: 409 with `current_version` when the deal changed since `version`.
    The place in the column: between `after_id` and `before_id` (neighbours' ids), else at
    `index` in the column as you see it, else at the top."""
    services.deal_move(
        deal_id=deal_id,
        stage_id=payload.stage_id,
        version=payload.version,
        actor=request.user,
        after_id=payload.after_id,
        before_id=payload.before_id,
        index=payload.index,
    )
    return _read(request, deal_id)


class VersionIn(Schema):
    version: int = Field(ge=-(2**31), le=2**31)


class LoseIn(VersionIn):
    reason_id: Id
    note: Text = ""


def _version(payload):
    return form_or_422(forms.VersionForm({"version": payload.version})).cleaned_data["version"]


@router.post("/{int:deal_id}/win", response=DealOut, summary="Mark a deal won")
def deal_win(request: HttpRequest, deal_id: int, payload: VersionIn):
    """An open deal becomes won (400 for a closed one; 409 on a stale `version`)."""
    services.deal_win(deal_id=deal_id, version=_version(payload), actor=request.user)
    return _read(request, deal_id)


@router.post("/{int:deal_id}/lose", response=DealOut, summary="Mark a deal lost")
def deal_lose(request: HttpRequest, deal_id: int, payload: LoseIn):
    """An open deal becomes lost, with one of the active lost reasons (`GET /lost-reasons`)
    and an optional note."""
    data = {"version": payload.version, "reason": payload.reason_id, "note": payload.note}
    form = form_or_422(forms.LostForm(data), names={"reason": "reason_id"})
    services.deal_lose(
        deal_id=deal_id,
        version=form.cleaned_data["version"],
        actor=request.user,
        reason_id=form.cleaned_data["reason"].pk,
        note=form.cleaned_data["note"],
    )
    return _read(request, deal_id)


@router.post("/{int:deal_id}/reopen", response=DealOut, summary="Reopen a won or lost deal")
def deal_reopen(request: HttpRequest, deal_id: int, payload: VersionIn):
    """A won or lost deal is open again in its stage, at the top of the column."""
    services.deal_reopen(deal_id=deal_id, version=_version(payload), actor=request.user)
    return _read(request, deal_id)


# --- line items ---------------------------------------------------------------------------------


class LineItemsOut(Schema):
    """A deal's line items in their order with their totals (a short list: not paged)."""

    results: list[LineItemOut]
    net: Money
    vat: Money
    gross: Money
    deal: DealState


class LineItemChanged(Schema):
    """The line item as saved, and the deal as the change left it (its version, and its value
    when it follows the line items)."""

    line_item: LineItemOut
    deal: DealState


class LineItemIn(Schema):
    product_id: Id | None = None
    description: str = Field("", max_length=1000)
    quantity: Decimal = Decimal(1)
    unit: str = Field("", max_length=1000)
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    vat_rate: Decimal | None = None


class LineItemPatch(Schema):
    product_id: Id | None = None
    description: str | None = Field(None, max_length=1000)
    quantity: Decimal | None = None
    unit: str | None = Field(None, max_length=1000)
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    vat_rate: Decimal | None = None


LINE_NAMES = {"product": "product_id"}


def _deal_for_line_change(request, deal_id):
    """As the deal page: 404 outside the scope, 403 when visible but not the caller's to change."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    if not scoping.can_change_owned(request.user, deal.owner):
        raise services.DealForbidden(_("You may look at this deal but not change it."), deal=deal)
    return deal


def _line_data(sent):
    data = {("product" if name == "product_id" else name): value for name, value in sent.items()}
    return {name: ("" if value is None else value) for name, value in data.items()}


@router.get("/{int:deal_id}/line-items", response=LineItemsOut, summary="List a deal's line items")
def line_item_list(request: HttpRequest, deal_id: int):
    """The line items of a deal you may see, in their order, with the net, VAT and gross totals."""
    deal = selectors.deal_detail_for_user(user=request.user, deal_id=deal_id)
    items = selectors.deal_line_items(deal=deal)
    return {
        "results": items.lines,
        "net": money(items.net),
        "vat": money(items.vat),
        "gross": money(items.gross),
        "deal": deal,
    }


@router.post("/{int:deal_id}/line-items", response={201: LineItemChanged}, summary="Add a line item")
def line_item_add(request: HttpRequest, deal_id: int, payload: LineItemIn):
    """A catalogue product (`product_id`, active) or a free-text line (`description` and
    `unit_price`), validated as the deal page's line item form. An empty unit price or VAT rate
    takes the product's (its price in the deal's price list first). The deal's version goes up;
    its value follows when it is set to."""
    deal = _deal_for_line_change(request, deal_id)
    form = form_or_422(forms.LineItemForm(_line_data(payload.dict())), names=LINE_NAMES)
    deal, line, _old = services.deal_line_item_add(deal_id=deal.pk, actor=request.user, **form.service_fields())
    return Status(201, {"line_item": line, "deal": deal})


@router.patch("/{int:deal_id}/line-items/{int:line_id}", response=LineItemChanged, summary="Change a line item")
def line_item_update(request: HttpRequest, deal_id: int, line_id: int, payload: LineItemPatch):
    """The fields sent change; the others keep their values."""
    deal = _deal_for_line_change(request, deal_id)
    line = selectors.deal_line_item_get(deal=deal, line_id=line_id)
    data = {
        "product": line.product_id or "",
        "description": line.description,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "discount_percent": line.discount_percent,
        "vat_rate": line.vat_rate,
    }
    data.update(_line_data(payload.dict(exclude_unset=True)))
    form = form_or_422(forms.LineItemForm(data, line=line), names=LINE_NAMES)
    deal, line, _old = services.deal_line_item_update(
        deal_id=deal.pk, line_id=line.pk, actor=request.user, **form.service_fields()
    )
    return {"line_item": line, "deal": deal}


@router.delete("/{int:deal_id}/line-items/{int:line_id}", response={204: None}, summary="Remove a line item")
def line_item_remove(request: HttpRequest, deal_id: int, line_id: int):
    """The line item is removed; the deal's version goes up (and its value follows when set to)."""
    deal = _deal_for_line_change(request, deal_id)
    line = selectors.deal_line_item_get(deal=deal, line_id=line_id)
    services.deal_line_item_remove(deal_id=deal.pk, line_id=line.pk, actor=request.user)
    return Status(204, None)


def _represent(user, deal_id):
    deal = selectors.deal_detail_for_user(user=user, deal_id=deal_id)
    return DealOut.from_orm(deal).model_dump(mode="json")


representations.register("deal", _represent)
