"""The deal summary's region: the board filtered by region takes its totals from the summary,
which stays equal to a direct aggregate over the deals after every kind of write — to the
deal (move, edit, win, loss, reopen, new owner, new organization, bulk writes, deletion) and
to its organization (a region change, a bulk region change, the organization's deletion)."""

import random
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Organization
from deals import selectors, services, summary
from deals.models import Deal, DealSummary, LostReason
from tests import factories
from tests.deals.test_summary import assert_board_matches_the_deals, assert_in_step, direct_totals

REGIONS = ["north", "south", "at", ""]


def assert_every_region_matches(people, pipeline):
    assert_in_step()
    for user in people:
        for region in ["north", "south", "at", "east"]:
            for status in ["open", "won", "all"]:
                assert assert_board_matches_the_deals(user, pipeline, {"region": region, "status": status})
            assert assert_board_matches_the_deals(user, pipeline, {"region": region, "owner": "me"})


def test_the_summary_answers_the_region_filter(rep, stages, pipeline):
    factories.DealFactory(owner=rep, stage=stages[0], organization=factories.OrganizationFactory(region="north"))
    filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"region": "north"})
    assert summary.answers(filterset)
    assert '"deals_dealsummary"."region" = north' in str(summary.rows_for(filterset).query)
    invalid = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"region": "atlantis"})
    assert not summary.answers(invalid)


def test_region_totals_stay_exact_after_every_kind_of_write(
    rep, teammate, outsider, manager, admin, stages, pipeline, bulk_deals
):
    rng = random.Random(7)
    people = [rep, teammate, outsider, manager, admin]
    owners = [rep, teammate, outsider, admin]
    organizations = [factories.OrganizationFactory(region=rng.choice(REGIONS)) for _ in range(6)]
    deals = [
        factories.DealFactory(
            owner=rng.choice(owners),
            stage=rng.choice(stages),
            organization=rng.choice([*organizations, None]),
            value=Decimal(rng.randrange(0, 500_000)) / 100,
            probability=rng.choice([None, None, 10, 60]),
        )
        for _ in range(30)
    ]
    bulk_deals(8, owner=rep, stages=stages)
    reason = LostReason.objects.create(name="Budget")
    actions = ["move", "edit", "win", "lose", "reopen", "owner", "organization", "region", "bulk_region", "raw"]
    for _ in range(80):
        deal = Deal.objects.get(pk=rng.choice(deals).pk)
        action = rng.choice(actions)
        try:
            if action == "move":
                services.deal_move(deal_id=deal.pk, stage_id=rng.choice(stages).pk, version=deal.version, actor=admin)
            elif action == "edit":
                value = Decimal(rng.randrange(0, 900_000)) / 100
                services.deal_update(deal_id=deal.pk, version=deal.version, actor=admin, value=value, probability=30)
            elif action == "win":
                services.deal_win(deal_id=deal.pk, version=deal.version, actor=admin)
            elif action == "lose":
                services.deal_lose(deal_id=deal.pk, version=deal.version, actor=admin, reason_id=reason.pk)
            elif action == "reopen":
                services.deal_reopen(deal_id=deal.pk, version=deal.version, actor=admin)
            elif action == "owner":
                services.deal_update(deal_id=deal.pk, version=deal.version, actor=admin, owner=rng.choice(owners))
            elif action == "organization":
                organization = rng.choice([*organizations, None])
                services.deal_update(deal_id=deal.pk, version=deal.version, actor=admin, organization=organization)
            elif action == "region":
                organization = rng.choice(organizations)
                organization.region = rng.choice(REGIONS)
                organization.save()
            elif action == "bulk_region":
                ids = [o.pk for o in rng.sample(organizations, 3)]
                Organization.objects.filter(pk__in=ids).update(region=rng.choice(REGIONS))
            else:
                Deal.objects.filter(pk__in=[d.pk for d in rng.sample(deals, 5)]).update(
                    organization=rng.choice(organizations)
                )
        except services.DealError:
            pass  # a refused change writes nothing
    assert_every_region_matches(people, pipeline)
    # An organization's deletion detaches its deals (SET_NULL): they leave its region.
    Organization.objects.get(pk=organizations[0].pk).delete()
    Deal.objects.filter(pk__in=[d.pk for d in deals[:6]]).delete()
    assert_every_region_matches(people, pipeline)


def test_a_region_change_moves_the_organizations_deals_between_region_columns(rep, stages, pipeline):
    acme = factories.OrganizationFactory(region="north")
    factories.DealFactory(owner=rep, stage=stages[0], organization=acme, value=Decimal("100"))
    factories.DealFactory(owner=rep, stage=stages[0], organization=acme, value=Decimal("50"), probability=40)
    factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("7"), organization=None)

    def column(region):
        filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"region": region})
        return selectors.board_columns(filterset=filterset, pipeline=pipeline.pk)[0]

    assert (column("north").count, column("north").total, column("south").count) == (2, Decimal("150.00"), 0)
    acme.region = "south"
    acme.save()
    south = column("south")
    assert (column("north").count, south.count, south.total) == (0, 2, Decimal("150.00"))
    filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"region": "south"})
    assert (south.count, south.total, south.weighted) == direct_totals(filterset, stages[0])
    assert_in_step()


def test_a_region_change_changes_the_region_columns_token(rep, stages, pipeline):
    acme = factories.OrganizationFactory(region="north")
    factories.DealFactory(owner=rep, stage=stages[0], organization=acme)
    factories.DealFactory(owner=rep, stage=stages[0], organization=factories.OrganizationFactory(region="south"))

    def token(region):
        filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"region": region}, with_choices=False)
        return selectors.board_signatures(filterset=filterset, pipeline_id=pipeline.pk).get(stages[0].pk)

    before = token("south")
    acme.region = "south"
    acme.save()
    assert token("south") != before


def test_an_organization_rename_writes_no_summary_row(rep, stages):
    acme = factories.OrganizationFactory(region="north")
    factories.DealFactory(owner=rep, stage=stages[0], organization=acme)
    before = list(DealSummary.objects.values_list("n", "change_count"))
    acme.name = "Acme Renamed"
    acme.save()
    assert list(DealSummary.objects.values_list("n", "change_count")) == before


def region_board_queries(client, rep, pipeline):
    client.force_login(rep)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("deals:board_pipeline", args=[pipeline.pk]), {"region": "north"})
    assert response.status_code == 200
    return captured.captured_queries


def test_the_region_board_reads_its_totals_from_the_summary_at_two_sizes(client, rep, stages, pipeline, bulk_deals):
    bulk_deals(10, owner=rep, stages=stages)
    small = region_board_queries(client, rep, pipeline)
    bulk_deals(300, owner=rep, stages=stages)
    large = region_board_queries(client, rep, pipeline)
    # user, owner choices, stages + totals (summary) + old-deal count, cards, product, persona and tag choices
    assert len(small) == len(large) == 7
    totals_sql = next(q["sql"] for q in large if "deals_dealsummary" in q["sql"])
    assert 'SUM("deals_deal"."value")' not in totals_sql  # the fallback aggregate's sum
