"""Cursor paging for every list (`@paginate(CursorPagination, ordering=("-id",))`).

ninja's CursorPagination takes the cursor's position as a string and hands it to the
queryset's filter unchecked: a crafted cursor (`p=xx`, or an id beyond the column's range)
raised a ValueError or a database error, a 500, and a bad member (`o=-1`) pydantic's
error, a 500 too. This one checks the position against the
ordering field first and answers a bad cursor with the same 422 as an undecodable one."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from ninja.errors import ValidationError
from ninja.pagination import CursorPagination as NinjaCursorPagination
from pydantic import ValidationError as PydanticValidationError

# The first match counts: BigIntegerField and SmallIntegerField are IntegerFields, and
# isinstance(BigAutoField(), AutoField) is true.
_INT_RANGE = {
    models.BigIntegerField: 2**63,
    models.SmallIntegerField: 2**15,
    models.IntegerField: 2**31,
}


def _invalid():
    return ValidationError([{"loc": ("query", "cursor"), "msg": "Invalid cursor"}])


class CursorPagination(NinjaCursorPagination):
    class Cursor(NinjaCursorPagination.Cursor):
        @classmethod
        def from_encoded_param(cls, encoded_param, context=None):
            # ninja answers an undecodable cursor with a 422 naming no field, and a decodable
            # one with a bad member (`o=-1`, `r=maybe`) with pydantic's error, a 500.
            try:
                return super().from_encoded_param(encoded_param, context)
            except (ValidationError, PydanticValidationError):
                raise _invalid() from None

    def _find_position(self, queryset, cursor):
        if cursor.p is not None:
            field = queryset.model._meta.get_field("id" if self._order_attribute == "pk" else self._order_attribute)
            try:
                value = field.to_python(cursor.p)
            except (DjangoValidationError, ValueError, TypeError, OverflowError):
                raise _invalid() from None
            limit = next((bound for kind, bound in _INT_RANGE.items() if isinstance(field, kind)), None)
            if value is None or (limit is not None and not -limit <= value < limit):
                raise _invalid()
        return super()._find_position(queryset, cursor)
