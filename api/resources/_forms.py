"""What the resources share: a JSON payload validated with the
page's own Django form (so the messages are the page's), ids in a range the database takes,
`?expand=`, and the likely-duplicates answer of the create forms."""

from datetime import datetime, timedelta
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from api import errors
from api.schemas import Ref, ref, requested
from customers.models import RESTORE_DAYS

# An id as a path or payload member: positive and within a 32-bit column, so that a huge number
# is a 422 naming the field (never an overflow in the database driver).
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]


def bound_form(form_class, payload, *, renames=None, **form_kwargs):
    """`form_class` bound to what the page would post: the form's initial values (the record's
    current ones, or the new-record defaults) overlaid with the members the payload sets.
    `renames` maps payload names to form field names (`owner_id` → `owner`)."""
    renames = renames or {}
    unbound = form_class(**form_kwargs)
    data = {}
    for name in unbound.fields:
        value = unbound[name].value()
        data[name] = "" if value is None else value
    for name, value in payload.items():
        data[renames.get(name, name)] = "" if value is None else value
    return form_class(data, **form_kwargs)


def form_or_422(form, *, names=None):
    """The bound form once valid; else a ValidationError (422) with its errors, the form's
    field names translated to the API's by `names` ({"stage": "stage_id"})."""
    if form.is_valid():
        return form
    names = names or {}
    raise ValidationError(
        {names.get(field, field): [str(message) for message in messages] for field, messages in form.errors.items()}
    )


def valid(form, *, renames=None):
    """The form's cleaned data, or a 422 naming the payload's members (not the form's fields);
    `renames` maps payload names to form fields, as for `bound_form`."""
    back = {field: name for name, field in (renames or {}).items()}
    return form_or_422(form, names=back).cleaned_data


def expand(context, name):
    """Did the request ask for `?expand=name`? (False when reading for a webhook payload.)"""
    request = (context or {}).get("request")
    return request is not None and name in requested(request, "expand")


def duplicates_problem(found):
    """409: likely duplicates of the record being created (those the caller sees, and whether
    others exist outside the scope), as the page's "Create anyway" screen shows them."""
    return errors.problem(
        409,
        _("This looks like a record that exists already. Send create_anyway to create it all the same."),
        type=errors.TYPE_BASE + "duplicates",
        title="Likely duplicate",
        duplicates=[ref(record) for record in found.visible],
        hidden_duplicates=found.hidden,
    )


def refused(error):
    """409: a business rule refused the change (the service's ValidationError), with its reason."""
    return errors.problem(409, " ".join(error.messages), type=errors.TYPE_BASE + "refused", title="Refused")


class TrashedOut(Schema):
    """A record in the trash: who deleted it when, and until when it can be restored."""

    id: int
    name: str
    owner: Ref | None
    deleted_at: datetime
    deleted_by: Ref | None
    restorable_until: datetime

    @staticmethod
    def resolve_name(record):
        return str(record)

    @staticmethod
    def resolve_owner(record):
        return ref(record.owner)

    @staticmethod
    def resolve_deleted_by(record):
        return ref(record.deleted_by)

    @staticmethod
    def resolve_restorable_until(record):
        return record.deleted_at + timedelta(days=RESTORE_DAYS)
