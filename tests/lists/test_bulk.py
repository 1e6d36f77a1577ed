"""Bulk actions: one transaction, through each app's services, audited, only on visible rows,
with an undo of the last one that restores what nobody changed since."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from audit.models import LogEntry
from customers.models import Organization
from deals import services as deal_services
from deals import summary
from deals.models import Deal, StageChange
from lists import kinds, services
from lists.models import BulkAction
from tests import factories

pytestmark = pytest.mark.django_db


def apply(actor, list_key, action, ids, target=None):
    rows = services.bulk_rows(actor=actor, kind=kinds.KINDS[list_key], ids=ids)
    return services.bulk_apply(actor=actor, list_key=list_key, action=action, rows=rows, target_id=target)


@pytest.fixture
def deals(rep, stages):
    return [factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("1000")) for _ in range(3)]


def test_a_manager_hands_deals_over_through_the_deal_service(manager, rep, teammate, deals):
    done = apply(manager, "deals", kinds.OWNER, [d.pk for d in deals], teammate.pk)
    assert done.count == 3
    for deal in Deal.objects.filter(pk__in=[d.pk for d in deals]):
        assert deal.owner == teammate
        assert deal.version == 2  # the service's conditional UPDATE bumped it
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Deal), action=LogEntry.Action.UPDATE, changes__has_key="owner"
    )
    assert entries.count() == 3
    assert all(e.additional_data == {"bulk_action": done.pk} and e.actor == manager for e in entries)
    assert summary.differences() == []


def test_changing_the_stage_writes_the_history_and_keeps_the_board_totals(rep, deals, stages):
    apply(rep, "deals", kinds.STAGE, [d.pk for d in deals], stages[2].pk)
    moved = StageChange.objects.filter(kind=StageChange.Kind.MOVED, to_stage=stages[2])
    assert moved.count() == 3
    assert set(Deal.objects.values_list("stage_id", flat=True)) == {stages[2].pk}
    assert summary.differences() == []


def test_one_refused_row_changes_nothing(rep, deals, stages):
    closed = deals[1]
    deal_services.deal_win(deal_id=closed.pk, version=closed.version, actor=rep)
    with pytest.raises(services.BulkError) as refused:
        apply(rep, "deals", kinds.STAGE, [d.pk for d in deals], stages[2].pk)
    assert closed.title in refused.value.message
    assert not Deal.objects.filter(stage=stages[2]).exists()
    assert not StageChange.objects.filter(kind=StageChange.Kind.MOVED).exists()
    assert not BulkAction.objects.exists()


def test_a_rep_may_not_hand_deals_to_a_teammate(rep, teammate, deals):
    with pytest.raises(services.BulkError):
        apply(rep, "deals", kinds.OWNER, [d.pk for d in deals], teammate.pk)
    assert set(Deal.objects.values_list("owner_id", flat=True)) == {rep.pk}


def test_a_visible_deal_the_user_may_not_change_refuses_the_whole_action(teammate, rep, deals, stages):
    own = factories.DealFactory(owner=teammate, stage=stages[0])
    with pytest.raises(services.BulkError):
        apply(teammate, "deals", kinds.STAGE, [own.pk, deals[0].pk], stages[1].pk)
    own.refresh_from_db()
    assert own.stage == stages[0]


def test_forged_ids_outside_the_scope_are_ignored(outsider, rep, deals, stages):
    own = factories.DealFactory(owner=outsider, stage=stages[0])
    done = apply(outsider, "deals", kinds.STAGE, [own.pk, *[d.pk for d in deals], "junk"], stages[1].pk)
    assert done.count == 1
    assert set(Deal.objects.filter(owner=rep).values_list("stage_id", flat=True)) == {stages[0].pk}


def test_all_rows_matching_the_filter_are_taken_within_the_scope(client, rep, outsider, stages):
    mine = [factories.DealFactory(owner=rep, stage=stages[0], title=f"Alpha {i}") for i in range(3)]
    factories.DealFactory(owner=rep, stage=stages[0], title="Beta")
    theirs = factories.DealFactory(owner=outsider, stage=stages[0], title="Alpha outside")
    client.force_login(rep)
    response = client.post(
        reverse("lists:bulk", args=["deals"]),
        {"action": "stage", "stage": stages[1].pk, "all": "1", "query": "q=Alpha&status=open"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:list") + "?q=Alpha&status=open"
    assert set(Deal.objects.filter(stage=stages[1]).values_list("pk", flat=True)) == {d.pk for d in mine}
    theirs.refresh_from_db()
    assert theirs.stage == stages[0]


def test_the_message_counts_the_rows(client, rep, deals, stages):
    client.force_login(rep)
    response = client.post(
        reverse("lists:bulk", args=["deals"]),
        {"action": "stage", "stage": stages[1].pk, "ids": [d.pk for d in deals]},
        follow=True,
    )
    assert f"3 deals moved to {stages[1]}." in response.content.decode()


def test_a_bulk_request_without_rows_answers_400(client, rep):
    client.force_login(rep)
    response = client.post(reverse("lists:bulk", args=["deals"]), {"action": "stage", "stage": "1"})
    assert response.status_code == 400
    assert "Select at least one row." in response.content.decode()


def test_an_action_the_list_does_not_offer_answers_400(client, rep, deals):
    client.force_login(rep)
    response = client.post(reverse("lists:bulk", args=["deals"]), {"action": "delete", "ids": [deals[0].pk]})
    assert response.status_code == 400
    assert Deal.objects.count() == 3


def test_undo_restores_the_previous_stage_through_the_service(rep, deals, stages):
    done = apply(rep, "deals", kinds.STAGE, [d.pk for d in deals], stages[2].pk)
    restored, skipped = services.bulk_undo(actor=rep, action_id=done.pk)
    assert (restored, skipped) == (3, [])
    assert set(Deal.objects.values_list("stage_id", flat=True)) == {stages[0].pk}
    assert StageChange.objects.filter(kind=StageChange.Kind.MOVED, to_stage=stages[0]).count() == 3
    assert summary.differences() == []


def test_undo_leaves_a_deal_changed_since_and_says_so(rep, deals, stages):
    done = apply(rep, "deals", kinds.STAGE, [d.pk for d in deals], stages[2].pk)
    changed = Deal.objects.get(pk=deals[0].pk)
    deal_services.deal_update(deal_id=changed.pk, version=changed.version, actor=rep, title="Renamed")
    restored, skipped = services.bulk_undo(actor=rep, action_id=done.pk)
    assert restored == 2
    assert skipped == [{"name": "Renamed", "reason": "it was changed since"}]
    changed.refresh_from_db()
    assert changed.stage == stages[2]


def test_only_the_last_bulk_action_can_be_undone_and_only_once(rep, deals, stages):
    first = apply(rep, "deals", kinds.STAGE, [deals[0].pk], stages[1].pk)
    second = apply(rep, "deals", kinds.STAGE, [deals[1].pk], stages[1].pk)
    with pytest.raises(services.BulkError):
        services.bulk_undo(actor=rep, action_id=first.pk)
    services.bulk_undo(actor=rep, action_id=second.pk)
    with pytest.raises(services.BulkError):
        services.bulk_undo(actor=rep, action_id=second.pk)


def test_somebody_elses_bulk_action_is_not_found(client, rep, manager, deals, stages):
    done = apply(rep, "deals", kinds.STAGE, [deals[0].pk], stages[1].pk)
    client.force_login(manager)
    assert client.post(reverse("lists:bulk_undo", args=[done.pk])).status_code == 404


def test_bulk_tag_and_its_undo(client, rep, deals):
    tag = factories.TagFactory(name="Fair 2026")
    deals[0].tags.add(tag)  # had it already: undo must leave it
    client.force_login(rep)
    response = client.post(
        reverse("lists:bulk", args=["deals"]), {"action": "tag", "tag": tag.pk, "ids": [d.pk for d in deals]}
    )
    assert response.status_code == 302
    assert all(tag in d.tags.all() for d in deals)
    done = BulkAction.objects.get()
    assert done.count == 2
    assert LogEntry.objects.filter(changes__has_key="tags").count() == 2
    client.post(reverse("lists:bulk_undo", args=[done.pk]))
    assert [tag in d.tags.all() for d in deals] == [True, False, False]


def test_leads_are_handed_over_and_back(manager, rep, teammate):
    leads = [factories.LeadFactory(owner=rep) for _ in range(2)]
    done = apply(manager, "leads", kinds.OWNER, [lead.pk for lead in leads], teammate.pk)
    assert done.count == 2
    assert {lead.owner_id for lead in type(leads[0]).objects.all()} == {teammate.pk}
    assert services.bulk_undo(actor=manager, action_id=done.pk) == (2, [])
    assert {lead.owner_id for lead in type(leads[0]).objects.all()} == {rep.pk}


def test_organizations_go_to_the_trash_and_come_back_with_undo(manager, rep, stages):
    free = factories.OrganizationFactory(owner=rep, name="Free GmbH")
    contact = factories.ContactFactory(organization=free, owner=rep)
    done = apply(manager, "organizations", kinds.DELETE, [free.pk])
    assert done.count == 1
    assert not Organization.objects.filter(pk=free.pk).exists()
    assert services.bulk_undo(actor=manager, action_id=done.pk) == (1, [])
    assert Organization.objects.filter(pk=free.pk).exists()
    contact.refresh_from_db()
    assert contact.deleted_at is None


def test_deleting_an_organization_a_deal_points_at_refuses_the_whole_action(manager, rep, stages):
    free = factories.OrganizationFactory(owner=rep, name="Free GmbH")
    used = factories.DealFactory(owner=rep, stage=stages[0]).organization
    Organization.objects.filter(pk=used.pk).update(owner=rep)
    with pytest.raises(services.BulkError) as refused:
        apply(manager, "organizations", kinds.DELETE, [free.pk, used.pk])
    assert used.name in refused.value.message
    assert Organization.objects.filter(pk__in=[free.pk, used.pk]).count() == 2


def test_contacts_are_handed_over_with_the_customer_rules(manager, rep, teammate, outsider):
    contacts = [factories.ContactFactory(owner=rep) for _ in range(2)]
    done = apply(manager, "contacts", kinds.OWNER, [c.pk for c in contacts], teammate.pk)
    assert done.count == 2
    with pytest.raises(services.BulkError):
        apply(manager, "contacts", kinds.OWNER, [c.pk for c in contacts], outsider.pk)


def test_the_toolbar_offers_the_undo_of_the_last_action(client, rep, deals, stages):
    apply(rep, "deals", kinds.STAGE, [deals[0].pk], stages[1].pk)
    client.force_login(rep)
    page = client.get(reverse("lists:toolbar", args=["deals"])).content.decode()
    assert 'data-testid="bulk-undo"' in page
    assert 'data-testid="bulk-undo"' not in client.get(reverse("lists:toolbar", args=["leads"])).content.decode()
