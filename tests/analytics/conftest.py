"""Hand-built deal histories for the analytics tests: every row is written explicitly."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from deals.models import CloseDateChange, Deal, StageChange
from tests import factories


class HistoryBuilder:
    """deal(owner, steps=[(days_ago, stage), …], outcome=("won"|"lost", days_ago)) writes a Deal
    and its StageChange rows exactly as the board's services would."""

    def __init__(self, now):
        self.now = now

    def at(self, days_ago):
        return self.now - timedelta(days=days_ago)

    def deal(
        self,
        *,
        owner,
        steps,
        outcome=None,
        value="1000",
        lost_reason=None,
        expected_close_date=None,
        probability=None,
        organization=None,
        source_lead=None,
        products=(),
    ):
        value = Decimal(value)
        first_at = self.at(steps[0][0])
        last_open_stage = steps[-1][1]
        status, won_at, lost_at = Deal.Status.OPEN, None, None
        if outcome:
            status = outcome[0]
            won_at = self.at(outcome[1]) if status == "won" else None
            lost_at = self.at(outcome[1]) if status == "lost" else None
        deal = Deal.objects.create(
            title=f"Deal of {owner.username}",
            pipeline=last_open_stage.pipeline,
            stage=last_open_stage,
            owner=owner,
            organization=organization,
            source_lead=source_lead,
            value=value,
            expected_close_date=expected_close_date,
            probability=probability,
            status=status,
            won_at=won_at,
            lost_at=lost_at,
            lost_reason=(lost_reason or factories.LostReasonFactory()) if status == "lost" else None,
            lost_from_stage=last_open_stage if status == "lost" else None,
            stage_entered_at=self.at(steps[-1][0]),
            created_at=first_at,
        )
        previous = None
        for index, (days_ago, stage) in enumerate(steps):
            StageChange.objects.create(
                deal=deal,
                pipeline=stage.pipeline,
                kind="created" if index == 0 else "moved",
                from_stage=previous,
                to_stage=stage,
                from_status="" if index == 0 else "open",
                to_status="open",
                owner=owner,
                value=value,
                at=self.at(days_ago),
            )
            previous = stage
        if outcome:
            StageChange.objects.create(
                deal=deal,
                pipeline=last_open_stage.pipeline,
                kind=status,
                from_stage=last_open_stage,
                to_stage=last_open_stage,
                from_status="open",
                to_status=status,
                owner=owner,
                value=value,
                at=self.at(outcome[1]),
            )
        for product in products:
            deal.line_items.create(product=product, unit_price=product.unit_price)
        return deal

    def slip(self, deal, *, days_ago, old, new):
        return CloseDateChange.objects.create(deal=deal, old_date=old, new_date=new, at=self.at(days_ago))


def noon_today():
    """Noon local time: "days ago" offsets never cross a period boundary by a few hours."""
    today = timezone.localdate()
    return timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time())) + timedelta(hours=12)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The observed probabilities are cached per query; ids repeat between tests, answers must not."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now():
    return noon_today()


@pytest.fixture
def history(db, now):
    return HistoryBuilder(now)


@pytest.fixture
def cohort(history, rep, stages):
    s0, s1, s2 = stages[:3]
    return {
        # Re-enters S1 (S0 → S1 → S0 → S1 → S2): one member of C(S1), advanced.
        "reentered": history.deal(owner=rep, steps=[(30, s0), (25, s1), (20, s0), (15, s1), (10, s2)]),
        "lost_at_s1": history.deal(owner=rep, steps=[(30, s0), (20, s1)], outcome=("lost", 5)),
        "won_from_s1": history.deal(owner=rep, steps=[(30, s0), (20, s1)], outcome=("won", 5)),
        "open_at_s0": history.deal(owner=rep, steps=[(30, s0)]),
        "lost_at_s0": history.deal(owner=rep, steps=[(30, s0)], outcome=("lost", 10)),
        # Entered S0 and S1 before the period: only in C(S2).
        "old": history.deal(owner=rep, steps=[(200, s0), (100, s1), (50, s2)]),
    }
