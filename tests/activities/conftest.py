"""Fixtures for the activity tests (the cast comes from tests/conftest.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def deal(rep):
    return factories.DealFactory(owner=rep, title="Acme rollout")


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner=rep, first_name="Lena", last_name="Lange", company_name="Lange KG")


@pytest.fixture
def due_activity(deal, now):
    """Alice's call due in 10 minutes: inside her default 15-minute lead time."""
    return factories.ActivityFactory(deal=deal, subject="Call Acme", due_at=now + timedelta(minutes=10))


def record_change(deal, kind, *, to_stage=None, from_stage=None, at=None, status=None):
    """Append the history row a deal service (or an import) writes, and update the deal like it."""
    from deals.models import Deal, LostReason, StageChange

    at = at or timezone.now()
    to_stage = to_stage or deal.stage
    if kind == StageChange.Kind.WON:
        Deal.objects.filter(pk=deal.pk).update(status="won", won_at=at)
    elif kind == StageChange.Kind.LOST:
        reason, _ = LostReason.objects.get_or_create(name="Price too high")
        Deal.objects.filter(pk=deal.pk).update(
            status="lost", lost_at=at, lost_reason=reason, lost_from_stage=deal.stage
        )
    else:
        Deal.objects.filter(pk=deal.pk).update(stage=to_stage, stage_entered_at=at)
    deal.refresh_from_db()
    return StageChange.objects.create(
        deal=deal,
        pipeline_id=deal.pipeline_id,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        to_status=status or deal.status,
        owner_id=deal.owner_id,
        value=deal.value,
        at=at,
    )
