"""The product catalogue: everyone reads it (reps choose from it on their deals); admins
create, change, deactivate and reactivate products through `deals.services.product_*`, as on
the products page (403 for anyone else)."""

from decimal import Decimal
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from accounts import scoping
from api.pagination import CursorPagination
from api.resources._forms import form_or_422
from api.schemas import Money, money
from deals import forms, selectors, services

router = Router(tags=["products"])


class ProductOut(Schema):
    id: int
    name: str
    sku: str
    unit: str
    unit_price: Money
    vat_rate: str
    is_active: bool

    @staticmethod
    def resolve_unit_price(product):
        return money(product.unit_price)

    @staticmethod
    def resolve_vat_rate(product):
        return f"{product.vat_rate:.2f}"


class ProductQuery(Schema):
    show: Literal["active", "all"] = Field("active", description="active (default, as the page) or all")


class ProductIn(Schema):
    name: str = Field(max_length=1000)
    sku: str = Field("", max_length=1000)
    unit: str = Field("", max_length=1000)
    unit_price: Decimal
    vat_rate: Decimal = Decimal("0")
    is_active: bool = True


class ProductPatch(Schema):
    name: str | None = Field(None, max_length=1000)
    sku: str | None = Field(None, max_length=1000)
    unit: str | None = Field(None, max_length=1000)
    unit_price: Decimal | None = None
    vat_rate: Decimal | None = None
    is_active: bool | None = None


class ActiveIn(Schema):
    active: bool


def _require_admin(user):
    if not scoping.is_admin(user):
        raise PermissionDenied(_("Only admins manage the product catalogue."))


@router.get("/", response=list[ProductOut], summary="List products")
@paginate(CursorPagination, ordering=("-id",))
def product_list(request: HttpRequest, query: Query[ProductQuery]):
    """The catalogue: active products (`show=all` for the inactive ones too)."""
    return selectors.product_list(active_only=query.show != "all")


@router.get("/{int:product_id}", response=ProductOut, summary="Read a product")
def product_read(request: HttpRequest, product_id: int):
    """One product of the catalogue, active or not (404 for an unknown one)."""
    return selectors.product_get(product_id=product_id)


@router.post("/", response={201: ProductOut}, summary="Create a product")
def product_create(request: HttpRequest, payload: ProductIn):
    """Admins only (403 for others). Validated as the products page's form."""
    _require_admin(request.user)
    form = form_or_422(forms.ProductForm(payload.dict()))
    return Status(201, services.product_create(actor=request.user, **form.cleaned_data))


@router.patch("/{int:product_id}", response=ProductOut, summary="Change a product")
def product_update(request: HttpRequest, product_id: int, payload: ProductPatch):
    """Admins only. The fields sent change; the line items already on deals keep their own
    price and VAT."""
    _require_admin(request.user)
    product = selectors.product_get(product_id=product_id)
    data = model_to_dict(product, fields=list(forms.ProductForm.Meta.fields))
    data.update({name: value for name, value in payload.dict(exclude_unset=True).items() if value is not None})
    form = form_or_422(forms.ProductForm(data, instance=product))
    return services.product_update(actor=request.user, product_id=product.pk, **form.cleaned_data)


@router.post("/{int:product_id}/active", response=ProductOut, summary="Deactivate or reactivate a product")
def product_active(request: HttpRequest, product_id: int, payload: ActiveIn):
    """Admins only. `{"active": false}`: no longer offered on new line items (the lines that
    have it keep it); `{"active": true}`: offered again."""
    _require_admin(request.user)
    product = selectors.product_get(product_id=product_id)
    return services.product_set_active(actor=request.user, product_id=product.pk, active=payload.active)
