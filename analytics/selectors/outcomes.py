"""Outcomes and flow: win rate, deal sizes, sales cycle, slippage, velocity and the KPI tiles
(docs/metrics.md, "Outcomes", "Close-date slippage", "Pipeline velocity")."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from analytics import filters
from analytics.selectors import base
from deals.models import CloseDateChange, Deal

VELOCITY_DAYS = 90


@dataclass
class Outcomes:
    won: int
    lost: int
    won_value: Decimal
    win_rate: float | None
    average_size: Decimal | None
    median_size: Decimal | None
    cycle_median_days: float | None
    cycle_p75_days: float | None


def outcomes(*, deals, start, end):
    """Win rate, deal sizes and sales cycle of the deals closed in [start, end) (one query)."""
    rows = list(
        deals.filter(
            Q(status=Deal.Status.WON, won_at__gte=start, won_at__lt=end)
            | Q(status=Deal.Status.LOST, lost_at__gte=start, lost_at__lt=end)
        ).values_list("status", "value", "created_at", "won_at")
    )
    won = [(value, created, won_at) for status, value, created, won_at in rows if status == Deal.Status.WON]
    lost = len(rows) - len(won)
    values = [value for value, _created, _won_at in won]
    cycles = [(won_at - created).total_seconds() for _value, created, won_at in won]
    won_value = sum(values, Decimal("0"))
    median_size = base.percentile(values, 0.5)
    return Outcomes(
        won=len(won),
        lost=lost,
        won_value=won_value,
        win_rate=base.rate(len(won), len(rows)),
        average_size=(won_value / len(won)).quantize(Decimal("0.01")) if won else None,
        median_size=Decimal(median_size).quantize(Decimal("0.01")) if median_size is not None else None,
        cycle_median_days=base.days_from_seconds(base.percentile(cycles, 0.5)),
        cycle_p75_days=base.days_from_seconds(base.percentile(cycles, 0.75)),
    )


def velocity(*, open_count, recent):
    """(open deals × win rate × average won value) ÷ median sales cycle in days → money per day."""
    if not recent.win_rate or not recent.average_size or not recent.cycle_median_days:
        return None
    per_day = Decimal(open_count) * Decimal(str(recent.win_rate)) * recent.average_size
    return (per_day / Decimal(str(recent.cycle_median_days))).quantize(Decimal("0.01"))


def slippage(*, deals, start, end):
    """Among deals closed in [start, end): (closed, slipped, share, median total days moved later)."""
    closed = deals.filter(
        Q(status=Deal.Status.WON, won_at__gte=start, won_at__lt=end)
        | Q(status=Deal.Status.LOST, lost_at__gte=start, lost_at__lt=end)
    )
    changes = CloseDateChange.objects.filter(
        deal__in=closed.values("id"), old_date__isnull=False, new_date__isnull=False
    ).values_list("deal_id", "old_date", "new_date")
    closed_count = closed.count()
    moved_later, total_days = set(), defaultdict(int)
    for deal_id, old, new in changes:
        total_days[deal_id] += (new - old).days
        if new > old:
            moved_later.add(deal_id)
    days = [total_days[deal_id] for deal_id in moved_later]
    return {
        "closed": closed_count,
        "slipped": len(moved_later),
        "share": base.rate(len(moved_later), closed_count),
        "median_days": base.percentile(days, 0.5),
    }


def kpis(*, deals, criteria, forecast, now):
    period = criteria.period
    current = outcomes(deals=deals, start=period.start, end=period.end)
    recent_period = filters.Period.last_days(VELOCITY_DAYS, today=timezone.localdate(now))
    # With the default period (the last 90 days) both are the same deals: one query, not two.
    recent = (
        current if recent_period == period else outcomes(deals=deals, start=recent_period.start, end=recent_period.end)
    )
    open_count = sum(r["n"] for r in forecast)
    return {
        "open_count": open_count,
        "open_value": sum((base.money(r["total"]) for r in forecast), Decimal("0")),
        "weighted": sum((base.money(r["weighted"]) for r in forecast), Decimal("0")),
        "outcomes": current,
        "velocity": velocity(open_count=open_count, recent=recent),
        "slippage": slippage(deals=deals, start=period.start, end=period.end),
        "links": {
            "open": base.drill_url(criteria, "open"),
            "won": base.drill_url(criteria, "won"),
            "closed": base.drill_url(criteria, "closed"),
        },
    }
