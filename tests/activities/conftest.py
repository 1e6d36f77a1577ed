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


