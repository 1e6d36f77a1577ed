"""The deal's most relevant quote, as its board card and the deal list show it
(docs/quotes.md).

The deals app sits below the quotes app and does not import it: the quote is read through the
reverse relation `deal.quotes` with one correlated subquery in the card rows' query (as the
next-activity signal reads the activities), an index range on `quote_deal_state (deal_id, state)`
per card, so the board keeps its number of queries. State names are the values of
`quotes.models.Quote.State`.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Case, Exists, OuterRef, Subquery, Value, When
from django.db.models.functions import JSONObject
from django.utils import timezone

from deals.models import Deal

SENT = "sent"
VIEWED = "viewed"  # a sent quote the customer opened (not a stored state)
EXPIRED = "expired"
# Open quotes first, in this order; then the latest answered or expired one. Superseded and
# cancelled quotes are never shown: a newer revision or nothing replaced them.
OPEN_RANK = {SENT: 0, "pending_approval": 1, "draft": 2}
SHOWN = (*OPEN_RANK, "accepted", "declined", EXPIRED)
EXPIRING_DAYS = 7


def quote_model():
    return Deal._meta.get_field("quotes").related_model


def relevant_quote():
    """A subquery on a deal row: its most relevant quote as a JSON object (state, number,
    revision, valid_until, viewed), NULL without one."""
    rank = Case(
        *(When(state=state, then=Value(order)) for state, order in OPEN_RANK.items()),
        default=Value(len(OPEN_RANK)),
        output_field=models.IntegerField(),
    )
    quotes = (
        quote_model()
        .objects.filter(deal=OuterRef("pk"), state__in=SHOWN)
        .annotate(rank=rank)
        .order_by("rank", "-created_at", "-id")
    )
    row = JSONObject(
        state="state", number="number", revision="revision", valid_until="valid_until", viewed="first_viewed_at"
    )
    return Subquery(quotes.values(quote=row)[:1], output_field=models.JSONField())


def expiring_window(today=None):
    """(first, last) valid-until day of a quote that expires within the next 7 days: it is valid
    until the end of that day in the installation's time zone, so today counts."""
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    return today, today + timedelta(days=EXPIRING_DAYS)


def expiring_quotes_exist(today=None):
    """EXISTS a sent quote of the deal whose validity ends within the next 7 days (the index
    `quote_state_valid_until` finds them)."""
    first, last = expiring_window(today)
    return Exists(quote_model().objects.filter(deal=OuterRef("pk"), state=SENT, valid_until__range=(first, last)))


@dataclass(frozen=True, slots=True)
class QuoteBadge:
    """What a card says about its quote: `state` is a quote state, or "viewed" for a sent quote
    the customer opened; a sent quote past its validity shows as expired before the nightly
    sweep marks it."""

    state: str
    number: str
    valid_until: date | None


def quote_badge(data, today):
    if not data:
        return None
    state = data.get("state") or ""
    raw_date = data.get("valid_until")
    valid_until = date.fromisoformat(str(raw_date)[:10]) if raw_date else None
    if state == SENT:
        if valid_until and valid_until < today:
            state = EXPIRED
        elif data.get("viewed"):
            state = VIEWED
    number = data.get("number") or ""
    revision = data.get("revision") or 1
    if number and revision > 1:
        number = f"{number}-R{revision}"
    return QuoteBadge(state=state, number=number, valid_until=valid_until)
