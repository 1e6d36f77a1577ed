"""Quotes in the states the follow-up tests need, written straight to the database (the sending
service needs the PDF and the e-mail, which these tests do not exercise)."""

import itertools
from datetime import timedelta
from decimal import Decimal

from quotes.models import Quote, QuoteEvent

_numbers = itertools.count(1)


def sent_quote(deal, *, sent_at, valid_for_days=30, valid_until=None, first_viewed_at=None, state=Quote.State.SENT):
    """A quote of `deal` sent at `sent_at` (with its number and its 'sent' event)."""
    seq = next(_numbers)
    quote = Quote.objects.create(
        deal=deal,
        state=state,
        number=f"AN-{sent_at.year}-{seq:05d}",
        number_year=sent_at.year,
        number_seq=seq,
        title=f"Quote: {deal.title}",
        issue_date=sent_at.date(),
        valid_until=valid_until or (sent_at + timedelta(days=valid_for_days)).date(),
        net_total=Decimal("1000.00"),
        gross_total=Decimal("1190.00"),
        sent_at=sent_at,
        sent_by=deal.owner,
        first_viewed_at=first_viewed_at,
        last_viewed_at=first_viewed_at,
        view_count=1 if first_viewed_at else 0,
        token_hash=f"{seq:064x}",
        created_by=deal.owner,
        created_at=sent_at,
    )
    QuoteEvent.objects.create(
        quote=quote, deal=deal, kind=QuoteEvent.Kind.SENT, actor=deal.owner, at=sent_at, data={"to": "c@example.com"}
    )
    return quote
