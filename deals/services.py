"""Writes of deals. Every function owns its transaction and writes the history row."""

from django.db import transaction
from django.utils import timezone

from deals.models import Deal, StageChange


def stage_change_record(*, deal, kind, actor, from_stage=None, from_status="", at=None):
    """Append one StageChange describing the deal as it is now (after the change)."""
    return StageChange.objects.create(
        deal=deal,
        pipeline_id=deal.pipeline_id,
        kind=kind,
        from_stage=from_stage,
        to_stage_id=deal.stage_id,
        from_status=from_status,
        to_status=deal.status,
        actor=actor,
        owner_id=deal.owner_id,
        value=deal.value,
        at=at or timezone.now(),
    )


@transaction.atomic
def deal_create(
    *,
    title,
    stage,
    owner,
    actor,
    value=0,
    organization=None,
    contact=None,
    expected_close_date=None,
    probability=None,
    source_lead=None,
    position=None,
):
    """Create an open deal in `stage` and record its 'created' history row.

    A new card goes to the top of its column unless a position is given.
    """
    if position is None:
        first = (
            Deal.objects.filter(stage=stage, status=Deal.Status.OPEN)
            .order_by("position")
            .values_list("position", flat=True)
            .first()
        )
        position = (first - 1.0) if first is not None else 0.0
    now = timezone.now()
    deal = Deal.objects.create(
        title=title,
        pipeline_id=stage.pipeline_id,
        stage=stage,
        position=position,
        owner=owner,
        organization=organization,
        contact=contact,
        value=value,
        expected_close_date=expected_close_date,
        probability=probability,
        source_lead=source_lead,
        stage_entered_at=now,
        created_at=now,
        updated_by=actor,
    )
    stage_change_record(deal=deal, kind=StageChange.Kind.CREATED, actor=actor, at=now)
    return deal
