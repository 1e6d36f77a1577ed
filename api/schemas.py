"""What every resource's schemas share: money as a string with its currency, references to
other records ({id, name}), and the `?fields=` / `?expand=` conventions (docs/api.md)."""

from decimal import Decimal

from django.conf import settings
from ninja import Schema


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
