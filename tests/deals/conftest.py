from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.models import Deal
from tests import factories


@pytest.fixture
def bulk_deals():
    """bulk_deals(n, owner=..., stages=[...]): n open deals spread over the stages, fast
    (bulk_create, no history rows), each worth 1,000."""

    def make(n, *, owner, stages, value=Decimal("1000")):
        org = factories.OrganizationFactory()
        now = timezone.now()
        deals = [
            Deal(
                title=f"Bulk deal {i}",
                pipeline_id=stages[0].pipeline_id,
                stage=stages[i % len(stages)],
                position=float(i),
                owner=owner,
                organization=org,
                value=value,
                expected_close_date=timezone.localdate() + timedelta(days=30),
                stage_entered_at=now,
                created_at=now,
            )
            for i in range(n)
        ]
        return Deal.objects.bulk_create(deals, batch_size=1000)

    return make


@pytest.fixture
def other_pipeline_stage(db):
    return factories.StageFactory(name="Elsewhere")
