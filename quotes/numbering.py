"""Quote numbers AN-<year>-<seq>: unique in the installation and without gaps per year.

The number is taken in the transaction that sends the quote, under a lock of the year's row of
QuoteNumber, so concurrent sends wait for each other and each gets the next number; a send that
fails rolls its number back with everything else, and the next send takes it.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from quotes.models import QuoteNumber


def format_number(year, seq):
    return f"{settings.CRM_QUOTE_NUMBER_PREFIX}-{year}-{seq:04d}"


def allocate(now=None):
    """(year, seq, number) for a quote sent now; call inside the sending transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A quote number is allocated inside the transaction that sends the quote.")
    year = timezone.localdate(now).year
    try:
        with transaction.atomic():
            QuoteNumber.objects.get_or_create(year=year)
    except IntegrityError:
        pass  # another transaction created the year's row first: lock it below
    counter = QuoteNumber.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return year, counter.last, format_number(year, counter.last)
