"""The deal summary (per stage, owner and status) that the board's totals and the poll's
change token read: kept by triggers on every write path, equal to a direct aggregate under
every selection it answers, recomputed by `rebuild_deal_summary`."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from deals import conversion, selectors, services, summary
from deals.models import Deal, DealSummary, LostReason
from leads import services as lead_services
from tests import adminforms, factories

HTMX = {"HTTP_HX_REQUEST": "true"}
CENTS = Decimal("0.01")


def direct_totals(filterset, stage):
    """The column's numbers computed in Python from the deals the selection shows."""
    deals = list(filterset.qs.filter(stage=stage).select_related("stage"))
    weighted = sum((d.value * d.effective_probability / 100 for d in deals), Decimal(0))
    return len(deals), sum((d.value for d in deals), Decimal(0)).quantize(CENTS), weighted.quantize(CENTS)


def assert_board_matches_the_deals(user, pipeline, data):
    """The board's totals equal the deals' for this selection; True when the summary gave them
    (an owner the user may not see makes the selection invalid: empty columns from the fallback)."""
    filterset = selectors.board_filter(user=user, pipeline=pipeline.pk, data=data)
    for column in selectors.board_columns(filterset=filterset, pipeline=pipeline.pk):
        expected = direct_totals(filterset, column.stage)
        assert (column.count, column.total, column.weighted) == expected, (user.username, data, column.stage.name)
    return summary.answers(filterset)


def assert_in_step():
    assert summary.differences() == []


@pytest.fixture
def people(rep, teammate, outsider, manager, manager_south, admin):
    return [rep, teammate, outsider, manager, manager_south, admin]


@pytest.fixture
def lost_reason(db):
    return LostReason.objects.create(name="Too expensive")


def random_deal(rng, owners, stages):
    return factories.DealFactory(
        owner=rng.choice(owners),
        stage=rng.choice(stages),
        value=Decimal(rng.randrange(0, 500_000)) / 100,
        probability=rng.choice([None, None, 0, 15, 33, 50, 99, 100]),
    )


def test_summary_equals_the_aggregate_for_every_selection_it_answers(people, stages, pipeline, lost_reason):
    rng = random.Random(11)
    owners = [*people[:4], people[5]]
    deals = [random_deal(rng, owners, stages) for _ in range(40)]
    admin = people[5]
    for _ in range(60):
        deal = Deal.objects.get(pk=rng.choice(deals).pk)
        action = rng.choice(["move", "move", "edit", "win", "lose", "reopen", "owner", "raw"])
        try:
            if action == "move":
                services.deal_move(deal_id=deal.pk, stage_id=rng.choice(stages).pk, version=deal.version, actor=admin)
            elif action == "edit":
                services.deal_update(
                    deal_id=deal.pk,
                    version=deal.version,
                    actor=admin,
                    value=Decimal(rng.randrange(0, 900_000)) / 100,
                    probability=rng.choice([None, 20, 75]),
                )
            elif action == "win":
                services.deal_win(deal_id=deal.pk, version=deal.version, actor=admin)
            elif action == "lose":
                services.deal_lose(deal_id=deal.pk, version=deal.version, actor=admin, reason_id=lost_reason.pk)
            elif action == "reopen":
                services.deal_reopen(deal_id=deal.pk, version=deal.version, actor=admin)
            elif action == "owner":
                services.deal_update(deal_id=deal.pk, version=deal.version, actor=admin, owner=rng.choice(owners))
            else:
                Deal.objects.filter(pk__in=[d.pk for d in rng.sample(deals, 5)]).update(value=Decimal("123.45"))
        except services.DealError:
            pass  # a refused change (a closed deal moved, an open one reopened) writes nothing
    assert_in_step()
    answered = [
        assert_board_matches_the_deals(user, pipeline, {"status": status, "owner": owner})
        for user in people
        for status in ["open", "won", "lost", "all"]
        for owner in ["", "me", "team", str(people[1].pk), str(user.pk)]
    ]
    assert answered.count(True) >= 100  # all but the invisible owners (teammate for the south)


def test_filters_the_summary_cannot_answer_fall_back_to_the_aggregate(rep, stages, pipeline):
    north = factories.OrganizationFactory(region="north")
    factories.DealFactory(owner=rep, stage=stages[0], organization=north, value=Decimal("100"))
    factories.DealFactory(
        owner=rep, stage=stages[0], value=Decimal("900"), organization=factories.OrganizationFactory(region="at")
    )
    factories.DealFactory(
        owner=rep,
        stage=stages[0],
        value=Decimal("40"),
        organization=factories.OrganizationFactory(region="north", industry="retail"),
    )
    for data in [{"industry": "software"}, {"q": "Deal"}, {"close_to": "2000-01-01"}]:
        filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data=data)
        assert not summary.answers(filterset)
        column = selectors.board_columns(filterset=filterset, pipeline=pipeline.pk)[0]
        assert (column.count, column.total, column.weighted) == direct_totals(filterset, stages[0])
    column = selectors.board_columns(
        filterset=selectors.board_filter(user=rep, pipeline=pipeline.pk, data={"industry": "software"}),
        pipeline=pipeline.pk,
    )[0]
    assert column.total == Decimal("1000.00")


def test_a_stage_probability_change_changes_the_weighted_sum(admin, rep, stages, pipeline):
    factories.DealFactory(owner=rep, stage=stages[1], value=Decimal("1000"))
    factories.DealFactory(owner=rep, stage=stages[1], value=Decimal("1000"), probability=50)
    stage = stages[1]
    stage.probability = 40
    stage.save()
    assert_board_matches_the_deals(rep, pipeline, {})
    column = selectors.board_columns(
        filterset=selectors.board_filter(user=rep, pipeline=pipeline.pk, data={}), pipeline=pipeline.pk
    )[1]
    assert column.weighted == Decimal("900.00")


def test_bulk_create_queryset_update_and_delete_keep_the_summary(rep, teammate, stages, pipeline, bulk_deals):
    deals = bulk_deals(30, owner=rep, stages=stages)
    assert_in_step()
    Deal.objects.filter(pk__in=[d.pk for d in deals[:10]]).update(owner=teammate, stage=stages[2])
    assert_in_step()
    Deal.objects.filter(pk__in=[d.pk for d in deals[5:15]]).delete()
    assert_in_step()
    assert_board_matches_the_deals(rep, pipeline, {"owner": "team"})


def test_quick_add_and_conversion_keep_the_summary(rep, stages, pipeline):
    services.deal_quick_add(actor=rep, stage=stages[0], title="Quick", value=Decimal("250.10"))
    lead = lead_services.lead_create(actor=rep, owner=rep, first_name="Q", last_name="Q", company_name="Umbrella AG")
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="contacted")
    lead_services.lead_change_status(lead_id=lead.pk, actor=rep, to_status="qualified")
    conversion.lead_convert(lead_id=lead.pk, actor=rep, pipeline_id=pipeline.pk, value=Decimal("77.70"))
    assert_in_step()
    assert_board_matches_the_deals(rep, pipeline, {"owner": "me"})


def test_an_activity_on_a_deal_changes_its_column_token(rep, stages, pipeline):
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={}, with_choices=False)
    before = selectors.board_signatures(filterset=filterset, pipeline_id=pipeline.pk)
    activity_services.activity_create(
        actor=rep, kind="call", subject="Call back", due_at=timezone.now() + timedelta(days=1), deal=deal
    )
    after = selectors.board_signatures(filterset=filterset, pipeline_id=pipeline.pk)
    assert after[stages[0].pk] != before[stages[0].pk]


def test_admin_edits_of_a_deal_and_a_stage_keep_the_totals(client, admin, rep, teammate, stages, pipeline):
    deal = factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("10"))
    factories.DealFactory(owner=rep, stage=stages[2], value=Decimal("300"))
    client.force_login(admin)
    data = {
        "title": deal.title,
        "pipeline": pipeline.pk,
        "stage": stages[2].pk,
        "position": 0,
        "owner": teammate.pk,
        "value": "99.99",
        "probability": "",
        "status": "open",
        "line_items-TOTAL_FORMS": 0,
        "line_items-INITIAL_FORMS": 0,
        "stage_changes-TOTAL_FORMS": 0,
        "stage_changes-INITIAL_FORMS": 0,
    }
    response = client.post(reverse("admin:deals_deal_change", args=[deal.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Deal.objects.get(pk=deal.pk).owner == teammate
    response = client.post(
        reverse("admin:deals_pipeline_change", args=[pipeline.pk]),
        adminforms.pipeline_change_form(pipeline) | {"stages-2-probability": 35},
    )
    assert response.status_code == 302
    assert_in_step()
    assert_board_matches_the_deals(rep, pipeline, {"owner": "team"})
    assert_board_matches_the_deals(teammate, pipeline, {"owner": "me"})


def test_rebuild_corrects_a_broken_summary_and_check_reports_it(rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0])
    call_command("rebuild_deal_summary", check=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    row = DealSummary.objects.get(stage=stages[0], owner=rep, status="open")
    DealSummary.objects.filter(pk=row.pk).update(n=7)  # not through a deal: the triggers do not see it
    with pytest.raises(CommandError):
        call_command("rebuild_deal_summary", check=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("rebuild_deal_summary", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("rebuild_deal_summary", check=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    fixed = DealSummary.objects.get(pk=row.pk)
    assert fixed.n == 1
    assert fixed.change_count > row.change_count  # a token from before the rebuild cannot come back


def test_the_unchanged_poll_reads_the_summary_not_the_deals(client, rep, stages, pipeline, bulk_deals):
    bulk_deals(20, owner=rep, stages=stages)
    client.force_login(rep)
    etag = client.get(reverse("deals:board"))["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("deals:board_poll", args=[pipeline.pk]), HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert response.status_code == 304
    poll_sql = captured.captured_queries[-1]["sql"]
    assert "deals_dealsummary" in poll_sql
    assert 'deals_deal"' not in poll_sql.replace("deals_dealsummary", "")


def test_a_move_takes_its_totals_from_the_summary(client, rep, stages, pipeline):
    deal = factories.DealFactory(owner=rep, stage=stages[0], value=Decimal("500"))
    factories.DealFactory(owner=rep, stage=stages[1], value=Decimal("250"))
    client.force_login(rep)
    url = reverse("deals:move", args=[deal.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, {"stage": stages[1].pk, "version": 1, "from_stage": stages[0].pk}, **HTMX)
    assert response.status_code == 200
    totals_sql = next(q["sql"] for q in captured.captured_queries if "deals_dealsummary" in q["sql"])
    # The deals are read only for the older-than-the-age-limit count, not summed.
    assert 'SUM("deals_deal"."value")' not in totals_sql
    columns = {c.stage.pk: c for c in response.context["columns"]}
    assert (columns[stages[0].pk].count, columns[stages[1].pk].count) == (0, 2)
    assert columns[stages[1].pk].total == Decimal("750.00")


def test_a_stage_probability_change_changes_the_poll_token(rep, stages, pipeline):
    factories.DealFactory(owner=rep, stage=stages[1])
    filterset = selectors.board_filter(user=rep, pipeline=pipeline.pk, data={}, with_choices=False)
    before = selectors.board_signatures(filterset=filterset, pipeline_id=pipeline.pk)
    stages[1].probability = 45
    stages[1].save()
    after = selectors.board_signatures(filterset=filterset, pipeline_id=pipeline.pk)
    assert after[stages[1].pk] != before[stages[1].pk]
    columns = selectors.board_columns(filterset=filterset, pipeline=pipeline.pk)
    assert {c.stage.pk: c.token for c in columns if c.token} == after
