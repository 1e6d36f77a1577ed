"""Reads for converting a lead into a deal, scoped to the user like every deal read."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg

from deals import selectors as deal_selectors
from deals.models import Deal


def typical_won_value(*, user, pipeline, today):
    """The value a conversion proposes: the average value of the deals won in `pipeline` in the
    year before `today` that `user` may see, rounded to hundreds; 0 without such deals. One
    aggregate query."""
    since = today - timedelta(days=365)
    average = (
        deal_selectors.deal_list_for_user(user=user)
        .filter(pipeline=pipeline, status=Deal.Status.WON, won_at__date__gt=since)
        .aggregate(average=Avg("value"))["average"]
    )
    if not average:
        return Decimal("0")
    return (Decimal(average) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * 100
