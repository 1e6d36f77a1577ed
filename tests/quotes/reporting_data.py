"""Quotes written straight into the tables for the reporting tests: a quote in any state with
exactly the dates and totals a test names, without sending e-mail or rendering a PDF."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from quotes.models import Quote

_numbers = itertools.count(1)
UNNUMBERED = (Quote.State.DRAFT, Quote.State.PENDING_APPROVAL)


def make_quote(
    deal,
    state,
    *,
    number=None,
    revision=1,
    valid_until=None,
    sent_at=None,
    first_viewed_at=None,
    answered_at=None,
    list_total="0",
    net_total="0",
    created_at=None,
):
    if number is None:
        number = "" if state in UNNUMBERED else f"AN-2026-{next(_numbers):04d}"
    return Quote.objects.create(
        deal=deal,
        state=state,
        title="Offer",
        number=number,
        revision=revision,
        valid_until=valid_until or timezone.localdate() + timedelta(days=30),
        sent_at=sent_at,
        first_viewed_at=first_viewed_at,
        answered_at=answered_at,
        list_total=Decimal(list_total),
        net_total=Decimal(net_total),
        created_at=created_at or timezone.now(),
    )
