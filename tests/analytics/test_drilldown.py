"""docs/metrics.md, "Drill-down": every linked figure opens the deals behind it, and the list's count
and total equal the figure (build the data, compute the dashboard, follow the link, compare)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories
from tests.analytics.dashboards import dashboard_for, section

URL = reverse("analytics:drilldown")


@pytest.fixture
def mixed(history, rep, teammate, outsider, stages):
    """Deals of every kind for rep and teammate (Team North), and one of the outsider's."""
    s0, s1, s2 = stages[:3]
    today = history.now.date()
    later = (today.replace(day=1) + timedelta(days=40)).replace(day=10)
    other_reason = factories.LostReasonFactory(name="No budget")
    history.deal(owner=rep, steps=[(30, s0), (20, s1), (10, s2)], value="1000", expected_close_date=later)
    history.deal(owner=rep, steps=[(30, s0), (25, s1)], value="2500", expected_close_date=today - timedelta(days=3))
    history.deal(owner=teammate, steps=[(30, s0)], value="4000")
    history.deal(owner=teammate, steps=[(30, s0), (20, s1)], value="8000", outcome=("won", 5))
    history.deal(owner=rep, steps=[(30, s0), (20, s1)], value="300", outcome=("lost", 4))
    history.deal(owner=rep, steps=[(30, s0)], value="700", outcome=("lost", 4), lost_reason=other_reason)
    lead = factories.LeadFactory(owner=rep, source="webinar", campaign="Spring")
    history.deal(owner=rep, steps=[(8, s0)], value="9000", source_lead=lead, outcome=("won", 2))
    history.deal(owner=outsider, steps=[(30, s0), (20, s1)], value="50000", outcome=("won", 5))


def drill(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    result = response.context["result"]
    return result.count, result.total


def test_every_funnel_cell_lists_the_deals_it_counts(mixed, client, manager):
    client.force_login(manager)
    funnel = section(dashboard_for(manager), "funnel")
    assert funnel.rows[0][1:5] == [7, 5, 1, 1]  # Prospecting: entered, advanced, lost here, still open
    for (row, column), url in funnel.cell_links.items():
        assert drill(client, url)[0] == funnel.rows[row][column], (funnel.rows[row][0], column)
    # The bars link to the same lists as the cells of their column.
    assert funnel.chart_links[0][0] == funnel.cell_links[(0, 2)]


def test_forecast_buckets_list_their_open_deals_and_value(mixed, client, manager):
    client.force_login(manager)
    forecast = section(dashboard_for(manager), "forecast")
    assert [row[0] for row in forecast.rows[:1]] == ["Overdue"] and len(forecast.rows) == 3
    for index, row in enumerate(forecast.rows):
        assert drill(client, forecast.cell_links[(index, 1)]) == (row[1], row[2])


def test_open_deals_of_a_stage_and_its_bottleneck_flag(mixed, client, manager, stages):
    client.force_login(manager)
    table = section(dashboard_for(manager), "time_in_stage")
    for index, _stage in enumerate(stages):
        count, _total = drill(client, table.cell_links[(index, 5)])
        assert count == table.rows[index][5]
    assert table.rows[0][5] == 1 and table.rows[2][5] == 1


def test_lost_reason_cells_list_the_lost_deals_and_their_value(mixed, client, manager):
    client.force_login(manager)
    lost = section(dashboard_for(manager), "lost_reasons")
    assert len(lost.rows) == 2
    for index, row in enumerate(lost.rows):
        assert drill(client, lost.cell_links[(index, 3)]) == (row[3], row[4])
    bars = [url for dataset in lost.chart_links for url in dataset if url]
    assert sorted(bars) == sorted({lost.cell_links[(i, 3)] for i in range(len(lost.rows))})


def test_won_deals_of_a_lead_source_row_and_bar(mixed, client, manager):
    client.force_login(manager)
    leads = section(dashboard_for(manager), "lead_sources")
    row = next(i for i, r in enumerate(leads.rows) if r[1] == "Spring")
    assert drill(client, leads.cell_links[(row, 7)]) == (1, Decimal("9000.00"))
    assert leads.rows[row][7] == 1 and leads.rows[row][9] == Decimal("9000.00")
    assert drill(client, leads.chart_links[3][0]) == (1, Decimal("9000.00"))


def test_kpi_tiles_list_the_open_the_won_and_the_closed_deals(mixed, client, manager):
    client.force_login(manager)
    kpis = dashboard_for(manager)["kpis"]
    assert drill(client, kpis["links"]["open"]) == (kpis["open_count"], kpis["open_value"])
    outcomes = kpis["outcomes"]
    assert drill(client, kpis["links"]["won"]) == (outcomes.won, outcomes.won_value)
    assert drill(client, kpis["links"]["closed"])[0] == outcomes.won + outcomes.lost == 4


def test_drill_down_keeps_the_dashboards_filters(mixed, client, manager, teammate):
    client.force_login(manager)
    kpis = dashboard_for(manager, owner=str(teammate.pk))["kpis"]
    assert f"owner={teammate.pk}" in kpis["links"]["won"]
    assert drill(client, kpis["links"]["won"]) == (1, Decimal("8000.00"))


def test_a_rep_drills_into_their_own_deals_only(mixed, client, rep):
    client.force_login(rep)
    kpis = dashboard_for(rep)["kpis"]
    assert drill(client, kpis["links"]["won"]) == (1, Decimal("9000.00"))
    page = client.get(kpis["links"]["won"]).content.decode()
    assert reverse("deals:detail", args=[rep.deals.get(value=9000).pk]) in page


@pytest.mark.parametrize("who", ["rep", "teammate", "outsider", "manager", "admin"])
def test_every_role_gets_the_page_and_the_partial(mixed, client, request, who):
    client.force_login(request.getfixturevalue(who))
    page = client.get(URL, {"metric": "open"})
    assert page.status_code == 200
    assert "<html" in page.content.decode() and 'data-testid="drill-count"' in page.content.decode()
    partial = client.get(URL, {"metric": "open"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<div id="drilldown-body"')


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"metric": "nonsense"},
        {"metric": "funnel", "outcome": "advanced"},  # no stage
        {"metric": "funnel", "in_stage": "999999", "outcome": "advanced"},
        {"metric": "forecast", "bucket": "2026-13"},
        {"metric": "open", "period": "7"},
    ],
)
def test_a_bad_bucket_or_filter_is_a_bad_request_with_a_reason(client, manager, params):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert "cannot be shown" in response.content.decode()


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL, {"metric": "open"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("size", [1, 8])
def test_drill_down_query_count_does_not_grow_with_the_list(
    size, history, rep, manager, stages, client, django_assert_num_queries
):
    for _ in range(size):
        history.deal(owner=rep, steps=[(10, stages[0])], organization=factories.OrganizationFactory())
    client.force_login(manager)
    # 1 user, 2 managed teams (scope), 3 count and total, 4 the paginator's count, 5 the page of
    # deals with their stage, owner, organization and pipeline (the page draws no filter form).
    with django_assert_num_queries(5):
        response = client.get(URL, {"metric": "open"})
    assert response.status_code == 200
    assert response.context["result"].count == size
