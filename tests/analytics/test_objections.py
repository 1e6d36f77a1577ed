"""docs/metrics.md, "Objections": objections by stage × kind and by outcome × kind, the resolved
share, the dashboard's scope and filters, the drill-down of every cell, and bounded queries."""

import pytest
from django.urls import reverse

from analytics.selectors import objections as objection_selectors
from deals.models import Deal, Objection
from tests import factories
from tests.analytics.dashboards import dashboard_for, section


def objection(history, deal, stage, kind, *, days_ago=3, handling="open"):
    return Objection.objects.create(
        deal=deal, stage=stage, kind=kind, handling=handling, created_at=history.at(days_ago), raised_by=deal.owner
    )


@pytest.fixture
def raised(history, rep, teammate, outsider, stages):
    """Hand-counted objections (period: the default last 90 days):

    close stage (s5): rep's open deal A — price (resolved), price (open), timing (unresolved);
                      teammate's won deal B — price (resolved); rep's lost deal C — product (open)
    stage s4:         deal A — other (resolved)
    outside:          rep's deal A — price 200 days ago (before the period); the outsider's deal — price
    """
    s4, s5 = stages[-2], stages[-1]
    a = history.deal(owner=rep, steps=[(30, s4), (10, s5)], value="1000")
    b = history.deal(owner=teammate, steps=[(30, s5)], value="2000", outcome=("won", 2))
    c = history.deal(owner=rep, steps=[(30, s5)], value="500", outcome=("lost", 1))
    foreign = history.deal(owner=outsider, steps=[(30, s5)], value="9000")
    objection(history, a, s5, "price", handling="resolved")
    objection(history, a, s5, "price")
    objection(history, a, s5, "timing", handling="unresolved")
    objection(history, b, s5, "price", handling="resolved")
    objection(history, c, s5, "product")
    objection(history, a, s4, "other", handling="resolved", days_ago=15)
    objection(history, a, s5, "price", days_ago=200)
    objection(history, foreign, s5, "price")
    return {"a": a, "b": b, "c": c, "s4": s4, "s5": s5}


def test_objections_by_stage_count_deals_per_kind_and_the_resolved_share(raised, manager):
    table = section(dashboard_for(manager), "objections_by_stage")
    # columns: stage, price, product, timing, other, deals, objections, resolved
    assert table.rows == [
        [raised["s4"].name, 0, 0, 0, 1, 1, 1, 1.0],
        [raised["s5"].name, 2, 1, 1, 0, 3, 5, 2 / 5],
    ]


def test_objections_by_outcome_follow_the_deals_status_now(raised, manager):
    table = section(dashboard_for(manager), "objections_by_outcome")
    assert table.rows == [
        ["Won", 1, 0, 0, 0, 1, 1, 1.0],
        ["Lost", 0, 1, 0, 0, 1, 1, 0.0],
        ["Open deal", 1, 0, 1, 1, 1, 4, 2 / 4],
    ]


def test_a_rep_sees_only_the_objections_on_their_own_deals(raised, rep):
    table = section(dashboard_for(rep), "objections_by_outcome")
    assert [row[5] for row in table.rows] == [0, 1, 1]


def test_the_owner_filter_narrows_the_objections(raised, manager, teammate):
    table = section(dashboard_for(manager, owner=str(teammate.pk)), "objections_by_stage")
    assert table.rows == [[raised["s5"].name, 1, 0, 0, 0, 1, 1, 1.0]]


def test_a_longer_period_takes_in_the_older_objection(raised, manager):
    table = section(dashboard_for(manager, period="365"), "objections_by_stage")
    assert table.rows[1][1] == 2  # still two deals with a price objection: A counts once
    assert table.rows[1][6] == 6


def test_every_objections_cell_lists_the_deals_it_counts(raised, client, manager):
    client.force_login(manager)
    data = dashboard_for(manager)
    checked = 0
    for name in ("objections_by_stage", "objections_by_outcome"):
        table = section(data, name)
        for (row, column), url in table.cell_links.items():
            response = client.get(url)
            assert response.status_code == 200, response.content.decode()[:300]
            assert response.context["result"].count == table.rows[row][column], (name, row, column)
            checked += 1
    assert checked == 14


def test_a_chart_bar_opens_the_same_deals_as_its_cell(raised, client, manager):
    client.force_login(manager)
    table = section(dashboard_for(manager), "objections_by_stage")
    price_in_close_stage = table.chart_links[0][1]
    assert price_in_close_stage == table.cell_links[(1, 1)]
    listed = {deal.pk for deal in client.get(price_in_close_stage).context["result"].deals}
    assert listed == {raised["a"].pk, raised["b"].pk}


def test_an_unknown_objection_kind_in_the_drill_down_answers_400(raised, client, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:drilldown"), {"metric": "objections", "objection_kind": "weather"})
    assert response.status_code == 400


def test_the_csv_export_has_the_tables_rows(raised, client, manager):
    client.force_login(manager)
    response = client.get(reverse("analytics:export", args=["objections_by_outcome"]))
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "Open deal" in body and len(body.strip().splitlines()) == 4


@pytest.mark.parametrize("deals", [2, 12])
def test_the_objections_tables_take_one_query_each_whatever_the_data(
    deals, history, rep, manager, stages, django_assert_num_queries
):
    for n in range(deals):
        deal = history.deal(owner=rep, steps=[(20, stages[-1])], organization=factories.OrganizationFactory())
        objection(history, deal, stages[-1], ["price", "product", "timing", "other"][n % 4])
    criteria = dashboard_for(manager)["criteria"]
    scoped = Deal.objects.all()
    with django_assert_num_queries(1):
        stage_table = objection_selectors.objections_by_stage_section(
            deals=scoped, criteria=criteria, pipeline=stages[0].pipeline
        )
    with django_assert_num_queries(1):
        outcome_table = objection_selectors.objections_by_outcome_section(deals=scoped, criteria=criteria)
    assert stage_table.rows[0][5] == deals
    assert outcome_table.rows[2][6] == deals
