"""The UI's FilterSets, offered as the API's query parameters.

A list operation takes the same filters as the page it mirrors: the query schema is built
from the FilterSet class (one optional string per filter, named and described as in the
UI), and the values are handed to the FilterSet unchanged. Where the UI would quietly show
nothing for a bad value (a malformed date), the API answers 422 naming the parameter."""

from django.core.exceptions import ValidationError
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
    return {name: value for name, value in query.dict().items() if value not in (None, "")}


def checked(filterset):
    """The FilterSet's queryset, or a 422 with its errors (as the UI's form would show them)."""
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({name: list(messages) for name, messages in filterset.errors.items()})
    return filterset.qs
