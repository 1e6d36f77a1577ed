"""The board's services: move, reorder, win, lose, reopen, edit — and who may do them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from deals import services
from deals.models import CloseDateChange, Deal, StageChange
from tests import factories


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")


def moved(deal):
    return StageChange.objects.filter(deal=deal, kind=StageChange.Kind.MOVED)


def test_move_changes_stage_and_writes_one_stage_change(deal, rep, stages):
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=deal.version, actor=rep)
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    change = moved(deal).get()
    assert (change.from_stage, change.to_stage, change.actor, change.value) == (stages[0], stages[1], rep, deal.value)


def test_move_bumps_version_and_resets_time_in_stage(deal, rep, stages):
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - timedelta(days=9))
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    deal.refresh_from_db()
    assert deal.version == 2
    assert timezone.now() - deal.stage_entered_at < timedelta(minutes=1)
    assert deal.updated_by == rep


def test_move_between_two_cards_takes_the_midpoint(rep, stages):
    upper = factories.DealFactory(owner=rep, stage=stages[1], position=1.0)
    lower = factories.DealFactory(owner=rep, stage=stages[1], position=2.0)
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    services.deal_move(
        deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep, after_id=upper.pk, before_id=lower.pk
    )
    deal.refresh_from_db()
    assert deal.position == 1.5


def test_move_by_index_places_the_card_at_that_index(rep, stages):
    column = [factories.DealFactory(owner=rep, stage=stages[1], position=float(p)) for p in (1, 2, 3)]
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep, index=2)
    order = list(Deal.objects.filter(stage=stages[1]).order_by("position", "id").values_list("pk", flat=True))
    assert order == [column[0].pk, column[1].pk, deal.pk, column[2].pk]


def test_move_without_position_puts_the_card_on_top(rep, stages):
    factories.DealFactory(owner=rep, stage=stages[1], position=5.0)
    deal = factories.DealFactory(owner=rep, stage=stages[0], position=99.0)
    services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    deal.refresh_from_db()
    assert deal.position == 4.0


def test_reorder_within_the_column_sets_position_without_history(rep, stages):
    first = factories.DealFactory(owner=rep, stage=stages[0], position=1.0)
    second = factories.DealFactory(owner=rep, stage=stages[0], position=2.0)
    services.deal_move(deal_id=second.pk, stage_id=stages[0].pk, version=1, actor=rep, before_id=first.pk)
    second.refresh_from_db()
    assert second.position < first.position
    assert second.version == 2
    assert not moved(second).exists()


def test_move_rejects_stale_version(deal, rep, teammate, stages):
    Deal.objects.filter(pk=deal.pk).update(version=2, updated_by=teammate)
    with pytest.raises(services.DealStale) as caught:
        services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    assert "changed by Bob Brown" in caught.value.message
    assert caught.value.status == 409
    deal.refresh_from_db()
    assert (deal.stage, deal.version) == (stages[0], 2)
    assert not moved(deal).exists()


def test_move_rejects_stage_of_another_pipeline(deal, rep, other_pipeline_stage):
    with pytest.raises(services.DealError) as caught:
        services.deal_move(deal_id=deal.pk, stage_id=other_pipeline_stage.pk, version=1, actor=rep)
    assert caught.value.status == 400
    deal.refresh_from_db()
    assert deal.version == 1


def test_move_rejects_unknown_stage(deal, rep):
    with pytest.raises(services.DealError) as caught:
        services.deal_move(deal_id=deal.pk, stage_id=987654, version=1, actor=rep)
    assert str(caught.value) == "There is no such stage."


def test_move_rejects_closed_deal(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], status="won", won_at=timezone.now())
    with pytest.raises(services.DealError) as caught:
        services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=rep)
    assert caught.value.status == 400
    assert "closed" in caught.value.message


@pytest.mark.parametrize(
    ("actor_name", "outcome"),
    [("rep", "moved"), ("teammate", 403), ("outsider", 404), ("manager", "moved"), ("admin", "moved")],
)
def test_move_rights_per_role(request, deal, stages, actor_name, outcome):
    actor = request.getfixturevalue(actor_name)
    if outcome == "moved":
        services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=actor)
        assert moved(deal).get().actor == actor
    elif outcome == 404:
        with pytest.raises(Http404):
            services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=actor)
    else:
        with pytest.raises(services.DealForbidden):
            services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=1, actor=actor)
    if outcome != "moved":
        deal.refresh_from_db()
        assert (deal.stage, deal.version) == (stages[0], 1)


def test_manager_of_another_team_cannot_see_the_deal(stages, outsider, manager):
    deal = factories.DealFactory(owner=outsider, stage=stages[0])
    with pytest.raises(Http404):
        services.deal_win(deal_id=deal.pk, version=1, actor=manager)


def test_win_records_won_at_and_one_stage_change(deal, rep):
    services.deal_win(deal_id=deal.pk, version=1, actor=rep)
    deal.refresh_from_db()
    assert deal.status == "won" and deal.won_at is not None and deal.version == 2
    change = StageChange.objects.get(deal=deal, kind="won")
    assert (change.from_status, change.to_status, change.to_stage) == ("open", "won", deal.stage)


def test_win_rejects_stale_version(deal, rep):
    with pytest.raises(services.DealStale):
        services.deal_win(deal_id=deal.pk, version=7, actor=rep)
    deal.refresh_from_db()
    assert deal.status == "open"


def test_lose_requires_a_reason(deal, rep):
    with pytest.raises(services.DealError) as caught:
        services.deal_lose(deal_id=deal.pk, version=1, actor=rep, reason_id=None)
    assert "lost" in caught.value.message
    deal.refresh_from_db()
    assert deal.status == "open"


def test_lose_records_reason_note_and_the_stage_it_was_lost_from(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[3])
    reason = factories.LostReasonFactory(name="No budget")
    services.deal_lose(deal_id=deal.pk, version=1, actor=rep, reason_id=reason.pk, note=" Froze spending ")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_from_stage, deal.lost_note) == (
        "lost",
        reason,
        stages[3],
        "Froze spending",
    )
    assert deal.lost_at is not None
    assert StageChange.objects.filter(deal=deal, kind="lost", to_status="lost").count() == 1


def test_lose_rejects_an_inactive_reason(deal, rep):
    reason = factories.LostReasonFactory(name="Retired reason", is_active=False)
    with pytest.raises(services.DealError):
        services.deal_lose(deal_id=deal.pk, version=1, actor=rep, reason_id=reason.pk)


def test_reopen_clears_the_outcome_and_writes_reopened(deal, rep):
    reason = factories.LostReasonFactory()
    services.deal_lose(deal_id=deal.pk, version=1, actor=rep, reason_id=reason.pk, note="x")
    services.deal_reopen(deal_id=deal.pk, version=2, actor=rep)
    deal.refresh_from_db()
    assert (deal.status, deal.lost_at, deal.lost_reason, deal.lost_from_stage, deal.lost_note) == (
        "open",
        None,
        None,
        None,
        "",
    )
    change = StageChange.objects.get(deal=deal, kind="reopened")
    assert (change.from_status, change.to_status) == ("lost", "open")


def test_reopen_rejects_an_open_deal(deal, rep):
    with pytest.raises(services.DealError):
        services.deal_reopen(deal_id=deal.pk, version=1, actor=rep)


def test_update_of_close_date_writes_a_close_date_change(deal, rep):
    old = deal.expected_close_date
    new = old + timedelta(days=14)
    services.deal_update(deal_id=deal.pk, version=1, actor=rep, expected_close_date=new)
    change = CloseDateChange.objects.get(deal=deal)
    assert (change.old_date, change.new_date, change.actor) == (old, new, rep)


def test_update_without_new_close_date_writes_no_close_date_change(deal, rep):
    services.deal_update(deal_id=deal.pk, version=1, actor=rep, value=Decimal("5"))
    assert not CloseDateChange.objects.filter(deal=deal).exists()


def test_rep_cannot_reassign_their_deal(deal, rep, teammate):
    with pytest.raises(services.DealForbidden):
        services.deal_update(deal_id=deal.pk, version=1, actor=rep, owner=teammate)


def test_manager_reassigns_within_their_team(deal, manager, teammate):
    services.deal_update(deal_id=deal.pk, version=1, actor=manager, owner=teammate)
    deal.refresh_from_db()
    assert deal.owner == teammate


def test_manager_cannot_hand_a_deal_to_another_team(deal, manager, outsider):
    with pytest.raises(services.DealForbidden):
        services.deal_update(deal_id=deal.pk, version=1, actor=manager, owner=outsider)


def test_quick_add_matches_an_existing_organization_by_name(rep, stages):
    org = factories.OrganizationFactory(name="Globex AG")
    deal = services.deal_quick_add(actor=rep, stage=stages[2], title="New", organization_name="globex ag")
    assert (deal.organization, deal.owner, deal.stage) == (org, rep, stages[2])
    assert StageChange.objects.filter(deal=deal, kind="created").count() == 1


def test_move_to_the_current_stage_without_position_changes_nothing(deal, rep, stages):
    services.deal_move(deal_id=deal.pk, stage_id=stages[0].pk, version=1, actor=rep)
    deal.refresh_from_db()
    assert deal.version == 1


def test_quick_add_with_an_owner_follows_the_reassignment_rule(rep, teammate, manager, stages):
    with pytest.raises(services.DealForbidden):
        services.deal_quick_add(actor=rep, stage=stages[0], title="For Bob", owner=teammate)
    assert services.deal_quick_add(actor=rep, stage=stages[0], title="Mine", owner=rep).owner == rep
    assert services.deal_quick_add(actor=manager, stage=stages[0], title="For Bob", owner=teammate).owner == teammate


def test_quick_add_takes_a_given_organization_contact_and_probability(rep, stages):
    organization = factories.OrganizationFactory(name="Initech")
    contact = factories.ContactFactory(organization=organization)
    deal = services.deal_quick_add(
        actor=rep, stage=stages[0], title="New", organization=organization, contact=contact, probability=40
    )
    assert (deal.organization, deal.contact, deal.probability, deal.owner) == (organization, contact, 40, rep)
