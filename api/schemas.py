"""What every resource's schemas share: money as a string with its currency, references to
other records ({id, name}), and the `?fields=` / `?expand=` conventions (docs/api.md)."""

from copy import copy
from decimal import Decimal

from django.conf import settings
from ninja import Schema
from pydantic import create_model


class Money(Schema):
    """An amount as a decimal string (never a float) and its ISO 4217 currency."""

    amount: str
    currency: str


def money(amount, currency=None):
    if amount is None:
        return None
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency or settings.CRM_CURRENCY}


class Ref(Schema):
    """Another record, by id with its display name (`?expand=` gives the whole record where offered)."""

    id: int
    name: str


def ref(obj, name=None):
    if obj is None:
        return None
    return {"id": obj.pk, "name": name if name is not None else str(obj)}


class Problem(Schema):
    """An RFC 9457 problem (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict] | None = None


def requested(request, param):
    """The comma-separated names in `?fields=` or `?expand=`, as a set (empty: none given)."""
    value = request.GET.get(param, "")
    return {part.strip() for part in value.split(",") if part.strip()}


def patch_of(schema, name, doc, *, exclude=()):
    """The PATCH body of a resource whose POST body is `schema`: the same members (and their
    limits), every one optional, so that only what is sent changes."""
    fields = {}
    for member, info in schema.model_fields.items():
        if member in exclude:
            continue
        optional = copy(info)
        optional.default = None
        fields[member] = (info.annotation | None, optional)
    return create_model(name, __base__=Schema, __doc__=doc, **fields)
