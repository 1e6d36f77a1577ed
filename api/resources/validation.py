"""Validating an API payload with the page's Django form, so that the messages are the page's."""

from django.core.exceptions import ValidationError


def form_or_422(form, *, names=None):
    """The bound form once valid; else a ValidationError (422) with its errors, the form's
    field names translated to the API's by `names` ({"stage": "stage_id"})."""
    if form.is_valid():
        return form
    names = names or {}
    raise ValidationError(
        {names.get(field, field): [str(message) for message in messages] for field, messages in form.errors.items()}
    )
