"""Sending a quote by e-mail. Placeholder interface, replaced by the outbox delivery."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def validate_address(address):
    from quotes.services import QuoteError

    try:
        validate_email(address)
    except ValidationError:
        raise QuoteError(_("%(address)s is not an e-mail address.") % {"address": address}) from None


def queue_quote_email(*, quote, token, sender, subject, message, pdf):
    raise NotImplementedError
