"""The UI's FilterSets, offered as the API's query parameters.

A list operation takes the same filters as the page it mirrors: the query schema is built
from the FilterSet class (one optional string per filter, named and described as in the
UI), and the values are handed to the FilterSet unchanged. Where the UI would quietly show
nothing for a bad value (a malformed date), the API answers 422 naming the parameter."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, create_model


def query_schema(filterset_class, name, *, exclude=()):
    fields = {}
    for filter_name, declared in filterset_class.base_filters.items():
        if filter_name in exclude:
            continue
        label = str(declared.label or filter_name)
        fields[filter_name] = (str | None, Field(default=None, description=label, max_length=200))
    return create_model(name, __base__=Schema, **fields)


def filter_data(query):
    """The given filter values; a whole number beyond 64 bits (an id no row has) is a 422: the
    FilterSet would hand it to the database, which cannot take it (SQLite: OverflowError, a 500)."""
    data = {name: value for name, value in query.dict().items() if value not in (None, "")}
    too_large = {name: [_("This number is too large.")] for name, value in data.items() if _too_large(value)}
    if too_large:
        raise ValidationError(too_large)
    return data


_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_MAX = 2**63


def _too_large(value):
    parts = str(value).split(",")
    return any(_WHOLE_NUMBER.fullmatch(part.strip()) and abs(int(part)) >= _MAX for part in parts)


def checked(filterset):
    """The FilterSet's queryset, or a 422 with its errors (as the UI's form would show them)."""
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    return filterset.qs
