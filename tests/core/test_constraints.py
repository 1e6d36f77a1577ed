"""Database constraints refuse inconsistent rows with a clear error."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from activities.models import Activity
from deals.models import Deal, Pipeline, Stage, StageChange
from leads.models import Lead, LeadStatusChange
from tests import factories


def refused(callable_, *names):
    """The write fails with an IntegrityError naming the constraint (SQLite names unique
    constraints by their columns, PostgreSQL by the constraint's name)."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        callable_()
    assert any(name in str(excinfo.value) for name in names), str(excinfo.value)


def test_deal_value_cannot_be_negative(db):
    deal = factories.DealFactory()
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(value=Decimal("-1")), "deal_value_non_negative")


def test_deal_probability_is_a_percentage(db):
    deal = factories.DealFactory()
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(probability=101), "deal_probability_0_100")


def test_won_deal_needs_won_at(db):
    deal = factories.DealFactory()
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(status="won"), "deal_status_consistent")


def test_lost_deal_needs_reason_and_stage(db):
    deal = factories.DealFactory()
    refused(
        lambda: Deal.objects.filter(pk=deal.pk).update(status="lost", lost_at=timezone.now()), "deal_status_consistent"
    )


def test_lost_deal_with_reason_and_stage_is_accepted(db):
    deal = factories.DealFactory()
    reason = factories.LostReasonFactory()
    Deal.objects.filter(pk=deal.pk).update(
        status="lost", lost_at=timezone.now(), lost_reason=reason, lost_from_stage=deal.stage
    )
    deal.refresh_from_db()
    assert deal.status == "lost"


def test_open_deal_cannot_carry_won_at(db):
    deal = factories.DealFactory()
    refused(lambda: Deal.objects.filter(pk=deal.pk).update(won_at=timezone.now()), "deal_status_consistent")


def test_status_constraint_message_is_readable(db):
    deal = factories.DealFactory.build(status="won", stage=factories.default_stages()[0])
    deal.owner = factories.UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        deal.validate_constraints()
    assert "A won deal needs its won time" in str(excinfo.value)


def test_stage_probability_is_a_percentage(db):
    stage = factories.default_stages()[0]
    refused(lambda: Stage.objects.filter(pk=stage.pk).update(probability=150), "stage_probability_0_100")


def test_only_one_default_pipeline(db):
    refused(
        lambda: Pipeline.objects.create(name="Second default", is_default=True),
        "one_default_pipeline",
        "deals_pipeline.is_default",
    )


def test_activity_belongs_to_exactly_one_deal_or_lead(db):
    deal = factories.DealFactory()
    lead = factories.LeadFactory()
    refused(
        lambda: Activity.objects.create(subject="Both", deal=deal, lead=lead, assignee=deal.owner),
        "activity_deal_xor_lead",
    )
    refused(lambda: Activity.objects.create(subject="Neither", assignee=deal.owner), "activity_deal_xor_lead")


def test_lead_score_is_at_most_100(db):
    lead = factories.LeadFactory()
    refused(lambda: Lead.objects.filter(pk=lead.pk).update(score=101), "lead_score_0_100")


def test_disqualified_lead_needs_a_reason(db):
    lead = factories.LeadFactory()
    refused(lambda: Lead.objects.filter(pk=lead.pk).update(status="disqualified"), "lead_disqualified_has_reason")


def test_a_lead_converts_into_at_most_one_deal(db):
    lead = factories.LeadFactory()
    factories.DealFactory(source_lead=lead)
    refused(lambda: factories.DealFactory(source_lead=lead), "source_lead")


def test_stage_change_history_is_append_only(db):
    deal = factories.DealFactory()
    change = StageChange.objects.get(deal=deal)
    change.value = Decimal("1")
    with pytest.raises(ValueError, match="append-only"):
        change.save()


def test_lead_status_history_is_append_only(db):
    lead = factories.LeadFactory()
    row = LeadStatusChange.objects.create(lead=lead, to_status="new")
    with pytest.raises(ValueError, match="append-only"):
        row.save()


def test_stage_holding_deals_cannot_be_deleted(db):
    deal = factories.DealFactory()
    with pytest.raises(ProtectedError):
        deal.stage.delete()
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_fresh_database_has_the_default_pipelines(db):
    new_business = Pipeline.objects.get(name="New business")
    assert new_business.is_default
    assert list(new_business.stages.order_by("order").values_list("name", "probability")) == [
        ("Prospecting", 10),
        ("First contact", 20),
        ("Needs analysis", 35),
        ("Solution presentation", 50),
        ("Negotiation & proposal", 70),
        ("Objection handling & closing", 85),
    ]
    assert Pipeline.objects.get(name="Expansion").kind == "expansion"
