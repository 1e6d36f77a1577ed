"""The dashboard page, its htmx partial and CSV exports, for every role."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse

from analytics import services
from tests import factories

URL = "/dashboard/"
# PostgreSQL: the dashboard computed afresh sets its transaction's settings first (analytics.sessions).
PG_SETTINGS = 1 if connection.vendor == "postgresql" else 0


@pytest.fixture
def three_owners(history, rep, teammate, outsider, stages):
    """One won deal each for alice (1,000), bob (2,000) and charlie (4,000) — sums tell who counted."""
    for owner, value in ((rep, "1000"), (teammate, "2000"), (outsider, "4000")):
        history.deal(owner=owner, steps=[(20, stages[0])], value=value, outcome=("won", 5))


def won_value_in_csv(client, **params):
    response = client.get(reverse("analytics:export", args=["lead_sources"]), params)
    assert response.status_code == 200
    return response


def funnel_entered(client, **params):
    response = client.get(reverse("analytics:export", args=["funnel"]), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Stage", "Entered"]
    return int(rows[1][1])


def test_dashboard_url_name_is_stable():
    assert reverse("analytics:dashboard") == URL


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "entered"),
    [("rep", 1), ("teammate", 1), ("manager", 2), ("outsider", 1), ("admin", 3)],
)
def test_each_role_counts_its_own_scope(three_owners, client, request, who, entered):
    client.force_login(request.getfixturevalue(who))
    assert funnel_entered(client) == entered


def test_rep_sees_own_win_value_not_the_teammates(three_owners, client, rep):
    client.force_login(rep)
    page = client.get(URL).content.decode()
    assert "1 won, 0 lost" in page


def test_manager_sees_the_team_total(three_owners, client, manager):
    client.force_login(manager)
    page = client.get(URL).content.decode()
    assert "2 won, 0 lost" in page
    assert "1,500 EUR" in page  # average of 1,000 and 2,000


def test_full_page_has_filters_charts_and_tables(three_owners, client, manager):
    client.force_login(manager)
    response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page and 'id="dashboard-filters"' in page
    for name in ("funnel", "forecast", "calibration", "trend", "time_in_stage", "lost_reasons", "lead_sources"):
        assert f'data-chart="chart-{name}"' in page
        assert f'<template data-chart-data="chart-{name}"><script id="chart-{name}" type="application/json">' in page
        assert f'data-testid="table-{name}"' in page
        assert f"/dashboard/export/{name}.csv?period=90" in page
    assert "How is this computed?" in page
    assert "vendor/chartjs/chart.umd.min.js" in page


def test_htmx_request_gets_only_the_body(three_owners, client, manager):
    client.force_login(manager)
    response = client.get(URL, {"period": "30"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and 'id="dashboard-filters"' not in page
    assert page.lstrip().startswith('<div id="dashboard-body"')
    assert "/dashboard/export/funnel.csv?period=30" in page


def test_owner_filter_narrows_the_manager_view(three_owners, client, manager, teammate):
    client.force_login(manager)
    assert funnel_entered(client, owner=teammate.pk) == 1


def test_owner_outside_the_scope_is_a_bad_request(three_owners, client, manager, outsider):
    client.force_login(manager)
    response = client.get(URL, {"owner": outsider.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert client.get(reverse("analytics:export", args=["funnel"]), {"owner": outsider.pk}).status_code == 400


def test_rep_cannot_pick_another_owner(three_owners, client, rep, teammate):
    client.force_login(rep)
    # The owner filter does not exist for reps: the parameter is ignored, the scope stays their own.
    assert funnel_entered(client, owner=teammate.pk) == 1
    assert 'name="owner"' not in client.get(URL).content.decode()


def test_junk_period_is_a_bad_request_not_an_error(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"period": "forever"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_unknown_chart_export_is_not_found(client, manager):
    client.force_login(manager)
    assert client.get("/dashboard/export/salaries.csv").status_code == 404


def test_region_filter_applies_to_deals(history, client, admin, rep, stages):
    south = factories.OrganizationFactory(region="south")
    history.deal(owner=rep, steps=[(20, stages[0])], organization=south)
    history.deal(owner=rep, steps=[(20, stages[0])])
    client.force_login(admin)
    assert funnel_entered(client) == 2
    assert funnel_entered(client, region="south") == 1


def test_pipeline_filter_switches_the_funnel_stages(client, admin):
    from deals.models import Pipeline

    expansion = Pipeline.objects.get(name="Expansion")
    client.force_login(admin)
    response = client.get(reverse("analytics:export", args=["funnel"]), {"pipeline": expansion.pk})
    assert response.content.decode("utf-8-sig").splitlines()[1].startswith("Account review,")


def build_history(history, owners, stages, n):
    """n deals per owner with a few moves, a win, a loss, a slip and an activity each."""
    for owner in owners:
        for i in range(n):
            deal = history.deal(owner=owner, steps=[(40, stages[0]), (30, stages[1]), (20, stages[2])])
            history.slip(deal, days_ago=10, old=history.now.date(), new=history.now.date() + timedelta(days=7))
            history.deal(owner=owner, steps=[(40, stages[0]), (30, stages[3])], outcome=("won", 5 + i % 3))
            history.deal(owner=owner, steps=[(40, stages[0])], outcome=("lost", 5))
            factories.ActivityFactory(deal=deal, assignee=owner, done_at=history.now - timedelta(days=1))
    services.snapshot_rollup_range(first_day=history.now.date() - timedelta(days=3), last_day=history.now.date())
    services.stage_health_compute(now=history.now)


@pytest.mark.parametrize("size", [1, 6])
def test_dashboard_query_count_does_not_grow_with_history(
    size, history, rep, teammate, manager, stages, client, django_assert_num_queries
):
    build_history(history, [rep, teammate], stages, size)
    client.force_login(manager)
    # 1 user (the session comes from the cache), 2 managed teams (scope), 3 default pipeline,
    # 4 stages, 5 the stage visits' watermark against the newest stage change (the visits are
    # current: the bottleneck job synced them), 6 data version (the cache is empty), 7 funnel,
    # 8 observed probability, 9 forecast, 10 snapshots (trend), 11 open ages, 12 visit durations,
    # 13 stage health, 14 lost reasons, 15–16 objections (by stage, by outcome), 17 quotes, 18 lead
    # sources, 19 activities, 20 outcomes (the period; the default period is the velocity's 90 days,
    # so it serves both), 21 closed deals count, 22 close-date changes (slippage), 23–25 nurturing
    # (per sequence, total, won deals with their touches), 26–28 lead source cost and ROI (source
    # months, campaigns, leads), 29 conversion trend (exits per week and stage), 30–33 the filter
    # form's choices (pipelines, teams, owners, products), 34–35 the stage and persona choices, read
    # once and then cached until a stage or persona changes. The funnel, conversion trend, visit
    # durations and observed probability read the materialized visits: the same four queries whatever
    # the size of the history. On PostgreSQL one more: the settings of the transaction that computes
    # the sections (analytics.sessions).
    with django_assert_num_queries(35 + PG_SETTINGS):
        response = client.get(URL)
    assert response.status_code == 200
    # The same request again, nothing changed: 1 user, 2 managed teams, 3 default pipeline,
    # 4 stages, 5 visits' watermark, 6 data version — every number from the cache — 7–10 the
    # filter form's choices (stages and personas from the cache).
    with django_assert_num_queries(10):
        assert client.get(URL).status_code == 200
    # Another period: not cached, but the observed probabilities (same deals, whatever the period)
    # are; the velocity's last 90 days need their own outcomes query: 33, the stage and persona
    # choices cached.
    with django_assert_num_queries(33 + PG_SETTINGS):
        assert client.get(URL, {"period": "30"}).status_code == 200
    # And the default period once more, still cached.
    with django_assert_num_queries(10):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_dashboard_partial_query_count_does_not_grow_with_history(
    size, history, rep, teammate, manager, stages, client, django_assert_num_queries
):
    build_history(history, [rep, teammate], stages, size)
    client.force_login(manager)
    # The same as the full page minus the filter form (4 choice queries and the 2 of the stage and
    # persona choices, which the partial does not read either).
    with django_assert_num_queries(29 + PG_SETTINGS):
        response = client.get(URL, headers={"HX-Request": "true"})
    assert response.status_code == 200
    # Again, nothing changed: user, managed teams, default pipeline, stages, visits' watermark,
    # data version.
    with django_assert_num_queries(6):
        assert client.get(URL, headers={"HX-Request": "true"}).status_code == 200


def test_custom_date_range_replaces_the_period(history, client, admin, rep, stages):
    history.deal(owner=rep, steps=[(20, stages[0])])
    history.deal(owner=rep, steps=[(200, stages[0])])
    client.force_login(admin)
    start = (history.now.date() - timedelta(days=250)).isoformat()
    end = (history.now.date() - timedelta(days=100)).isoformat()
    assert funnel_entered(client, start=start, end=end) == 1
    page = client.get(URL, {"start": start, "end": end}).content.decode()
    assert f"/dashboard/export/funnel.csv?start={start}&amp;end={end}" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-01-01"}, "The range ends before it starts."),
        ({"start": "2026-03-01"}, "Give both ends of the date range, or neither."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose a range of at most three years."),
    ],
)
def test_bad_date_range_is_a_bad_request_with_a_reason(client, manager, params, message):
    client.force_login(manager)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("chart", "header"),
    [
        ("funnel", "Stage,Entered,Advanced,Lost here,Still open,Conversion,Drop-off,Still open share"),
        ("forecast", "Month,Open deals,Value,Weighted forecast,Observed forecast"),
        ("calibration", "Stage,Configured,Observed,Won,Lost"),
        ("trend", "Day,Open deals,Open value,Weighted value,Won that day"),
        ("time_in_stage", "Stage,Completed visits,Throughput per week,Median days,75th percentile days,Open now,"),
        ("lost_reasons", "Lost reason,Lost from stage,Pipeline,Deals,Value"),
        ("lead_sources", "Source,Campaign / content,Leads,Qualified,Qualified rate,Converted,"),
        ("activities", "Rep,Call,E-mail,Meeting,Task,Follow-up,Total"),
    ],
)
def test_every_chart_exports_its_table(three_owners, client, manager, chart, header):
    client.force_login(manager)
    response = client.get(reverse("analytics:export", args=[chart]))
    assert response.status_code == 200
    assert f'filename="{chart}-' in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith(header)


def test_rep_sees_only_own_leads_and_activities(history, client, rep, teammate, stages):
    mine = history.deal(owner=rep, steps=[(5, stages[0])])
    theirs = history.deal(owner=teammate, steps=[(5, stages[0])])
    factories.ActivityFactory(deal=mine, assignee=rep, done_at=history.now)
    factories.ActivityFactory(deal=theirs, assignee=teammate, done_at=history.now)
    factories.LeadFactory(owner=rep, source="blog", campaign="Mine")
    factories.LeadFactory(owner=teammate, source="blog", campaign="Theirs")
    client.force_login(rep)
    activities = client.get(reverse("analytics:export", args=["activities"])).content.decode("utf-8-sig").splitlines()
    leads = client.get(reverse("analytics:export", args=["lead_sources"])).content.decode("utf-8-sig").splitlines()
    assert activities[1:] == ["Alice Adams,1,0,0,0,0,1"]
    assert [line.split(",")[1] for line in leads[1:]] == ["Mine"]


def test_cached_observed_probability_never_crosses_scopes(history, client, admin, rep, teammate, stages):
    for outcome in ["won"] * 7 + ["lost"] * 3:
        history.deal(owner=teammate, steps=[(100, stages[0]), (60, stages[3])], outcome=(outcome, 30))
    calibration = reverse("analytics:export", args=["calibration"])
    client.force_login(admin)
    assert "Solution presentation,0.5000,0.7000,7,3" in client.get(calibration).content.decode()
    client.force_login(rep)
    assert "Solution presentation,0.5000,not enough data,0,0" in client.get(calibration).content.decode()


def test_observed_probability_is_reused_from_the_cache(history, client, admin, stages, django_assert_num_queries):
    history.deal(owner=admin, steps=[(10, stages[0])])
    client.force_login(admin)
    calibration = reverse("analytics:export", args=["calibration"])
    client.get(calibration)
    # user, default pipeline, stages — the session and the observed probabilities come from
    # the cache.
    with django_assert_num_queries(3):
        client.get(calibration)


@pytest.mark.parametrize("who", ["rep", "teammate", "outsider", "manager", "admin"])
def test_every_role_gets_the_page_and_the_partial(three_owners, client, request, who):
    client.force_login(request.getfixturevalue(who))
    page = client.get(URL)
    partial = client.get(URL, headers={"HX-Request": "true"})
    assert (page.status_code, partial.status_code) == (200, 200)
    assert "<html" in page.content.decode() and "<html" not in partial.content.decode()
    assert 'data-testid="table-funnel"' in partial.content.decode()


def test_only_admins_get_the_link_to_calibrate_stage_probabilities(client, admin, manager):
    link = reverse("admin:deals_stage_changelist")
    client.force_login(admin)
    assert link in client.get(URL).content.decode()
    client.force_login(manager)
    assert link not in client.get(URL).content.decode()


def test_a_repeated_view_is_served_from_the_cache(three_owners, client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    first = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    with django_assert_max_num_queries(6):  # as above: nothing but the cache key's inputs
        second = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert "2 won, 0 lost" in first and "2 won, 0 lost" in second
    assert "1,500 EUR" in second


def test_a_new_stage_change_shows_immediately(three_owners, history, client, manager, rep, stages):
    client.force_login(manager)
    assert "2 won, 0 lost" in client.get(URL).content.decode()
    history.deal(owner=rep, steps=[(10, stages[0])], outcome=("lost", 1))
    assert "2 won, 1 lost" in client.get(URL).content.decode()


def test_a_changed_deal_shows_immediately(three_owners, client, manager, teammate):
    from deals.models import Deal

    client.force_login(manager)
    assert "1,500 EUR" in client.get(URL).content.decode()
    deal = Deal.objects.get(owner=teammate)
    deal.value = 4000
    deal.save()  # the services save every change through `updated_at`
    page = client.get(URL).content.decode()
    assert "2,500 EUR" in page and "1,500 EUR" not in page


def test_a_stage_change_alone_invalidates_the_cached_dashboard(
    history, manager, rep, stages, django_assert_max_num_queries
):
    """A history row written without touching the deal still moves the data version."""
    from analytics import filters
    from analytics.selectors import dashboard
    from deals.models import StageChange

    deal = history.deal(owner=rep, steps=[(20, stages[0])])

    def entered():
        filterset = filters.DashboardFilter({}, user=manager)
        assert filterset.is_valid()
        funnel = dashboard.dashboard(user=manager, filterset=filterset)["sections"][0]
        return [row[1] for row in funnel.rows[:2]]

    assert entered() == [1, 0]
    with django_assert_max_num_queries(4):  # default pipeline, stages, visits' watermark, data version
        assert entered() == [1, 0]
    StageChange.objects.create(
        deal=deal,
        pipeline=stages[1].pipeline,
        kind="moved",
        from_stage=stages[0],
        to_stage=stages[1],
        from_status="open",
        to_status="open",
        owner=rep,
        value=deal.value,
        at=history.at(1),
    )
    assert entered() == [1, 1]
