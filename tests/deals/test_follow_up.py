"""Expansion deals: from a won deal, a follow-up deal in the expansion pipeline for the same
customer, linked to its origin, and the chain on the deal and customer pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from deals import services
from deals.models import Deal, Pipeline, StageChange
from tests import factories


@pytest.fixture
def won(rep, pipeline):
    organization = factories.OrganizationFactory(name="Kunde AG", owner=rep)
    contact = factories.ContactFactory(organization=organization)
    deal = factories.DealFactory(owner=rep, organization=organization, contact=contact, title="Rollout")
    Deal.objects.filter(pk=deal.pk).update(status=Deal.Status.WON, won_at=timezone.now())
    deal.refresh_from_db()
    return deal


def test_a_won_deal_gets_a_follow_up_in_the_expansion_pipeline_for_the_same_customer(rep, won):
    follow_up = services.deal_follow_up_create(origin_id=won.pk, actor=rep)
    assert follow_up.pipeline.kind == Pipeline.Kind.EXPANSION
    assert follow_up.stage == follow_up.pipeline.stages.order_by("order").first()
    assert (follow_up.organization, follow_up.contact, follow_up.origin) == (won.organization, won.contact, won)
    assert (follow_up.owner, follow_up.status, follow_up.title) == (rep, Deal.Status.OPEN, "Follow-up: Rollout")
    assert StageChange.objects.filter(deal=follow_up, kind=StageChange.Kind.CREATED).count() == 1


def test_a_manager_creates_the_follow_up_for_the_rep_who_owns_the_customer(manager, rep, won):
    assert services.deal_follow_up_create(origin_id=won.pk, actor=manager).owner == rep


def test_an_open_deal_gets_no_follow_up(rep, pipeline):
    deal = factories.DealFactory(owner=rep)
    with pytest.raises(services.DealError, match="Only a won deal"):
        services.deal_follow_up_create(origin_id=deal.pk, actor=rep)
    assert not Deal.objects.filter(origin=deal).exists()


def test_without_an_active_expansion_pipeline_the_reason_is_given(rep, won):
    Pipeline.objects.filter(kind=Pipeline.Kind.EXPANSION).update(is_active=False)
    with pytest.raises(services.DealError, match="no active expansion pipeline"):
        services.deal_follow_up_create(origin_id=won.pk, actor=rep)


def test_a_teammate_may_not_create_a_follow_up_of_someone_elses_deal(teammate, won):
    with pytest.raises(services.DealForbidden):
        services.deal_follow_up_create(origin_id=won.pk, actor=teammate)


def test_the_button_opens_the_new_deal_and_both_pages_show_the_chain(client, rep, won):
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[won.pk])).content.decode()
    assert 'data-testid="new-follow-up"' in page
    response = client.post(reverse("deals:follow_up", args=[won.pk]))
    follow_up = Deal.objects.get(origin=won)
    assert response.url == reverse("deals:detail", args=[follow_up.pk])
    assert "Rollout" in client.get(response.url).content.decode().split('data-testid="deal-origin"')[1]
    assert "Follow-up: Rollout" in client.get(reverse("deals:detail", args=[won.pk])).content.decode()
    organization_page = client.get(reverse("organizations:detail", args=[won.organization_id])).content.decode()
    open_deals = organization_page.split('data-testid="organization-open-deals"')[1].split("</ul>")[0]
    assert "Follow-up: Rollout" in open_deals and 'data-testid="follow-up-of"' in open_deals


def test_posting_for_an_open_deal_answers_400_with_the_reason(client, rep, pipeline):
    deal = factories.DealFactory(owner=rep)
    client.force_login(rep)
    response = client.post(reverse("deals:follow_up", args=[deal.pk]))
    assert response.status_code == 400
    assert "Only a won deal gets a follow-up deal." in response.content.decode()
