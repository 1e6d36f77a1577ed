"""docs/metrics.md, "Scope and filters": stage, industry, company size, persona and lead source narrow
every section alike (deals, leads, activities; the snapshot trend where the snapshots keep the
dimension), are part of the cached answer's key, and lost reasons are per pipeline."""

from datetime import timedelta

import pytest
from django.urls import reverse

from analytics import filters as analytics_filters
from tests import factories
from tests.analytics.dashboards import dashboard_for, section

URL = reverse("analytics:dashboard")


@pytest.fixture
def segments(history, rep, stages):
    """A software company (small, persona "Ops lead") and a retail one (large, no persona): one deal
    each from a lead of the same segment, one activity each."""
    ops = factories.PersonaFactory(name="Ops lead")
    software = factories.OrganizationFactory(industry="software", size_band="10-49")
    retail = factories.OrganizationFactory(industry="retail", size_band="250-999")
    deals = {}
    for name, organization, persona, stage in (
        ("software", software, ops, stages[1]),
        ("retail", retail, None, stages[2]),
    ):
        lead = factories.LeadFactory(
            owner=rep,
            source="webinar",
            industry=organization.industry,
            size_band=organization.size_band,
            persona=persona,
        )
        deals[name] = history.deal(
            owner=rep, steps=[(20, stages[0]), (10, stage)], organization=organization, source_lead=lead
        )
        factories.ActivityFactory(deal=deals[name], assignee=rep, kind="call", done_at=history.now - timedelta(days=1))
    deals["persona"] = ops
    return deals


def figures(user, **params):
    data = dashboard_for(user, **params)
    return {
        "entered": section(data, "funnel").rows[0][1],
        "open": data["kpis"]["open_count"],
        "leads": sum(row[2] for row in section(data, "lead_sources").rows),
        "activities": sum(row[-1] for row in section(data, "activities").rows),
    }


def test_without_a_segment_filter_both_segments_count(segments, admin):
    assert figures(admin) == {"entered": 2, "open": 2, "leads": 2, "activities": 2}


@pytest.mark.parametrize(
    "params",
    [{"industry": "software"}, {"size": "10-49"}, {"persona": "ops"}, {"stage": "s1"}],
    ids=["industry", "size", "persona", "stage"],
)
def test_a_segment_filter_narrows_deals_leads_and_activities_alike(segments, admin, stages, params):
    params = dict(params)
    if params.get("persona"):
        params["persona"] = str(segments["persona"].pk)
    if params.get("stage"):
        params["stage"] = str(stages[1].pk)
    assert figures(admin, **params) == {"entered": 1, "open": 1, "leads": 1, "activities": 1}


def test_the_trend_says_it_is_not_kept_per_industry(segments, admin):
    trend = section(dashboard_for(admin, industry="software"), "trend")
    assert trend.rows == [] and "industry" in str(trend.note)


def test_a_new_filter_is_part_of_the_cached_answer(segments, client, admin):
    client.force_login(admin)
    everything = client.get(URL).context["data"]["kpis"]["open_count"]
    software = client.get(URL, {"industry": "software"}).context["data"]["kpis"]["open_count"]
    assert (everything, software) == (2, 1)
    assert client.get(URL).context["data"]["kpis"]["open_count"] == 2


def test_the_filters_offer_each_stage_with_its_pipeline(client, admin, stages):
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert f'<option value="{stages[0].pk}">New business · Prospecting</option>' in page
    for name in ("industry", "size", "persona", "source", "stage"):
        assert f'name="{name}"' in page


def test_the_stage_and_persona_choices_are_read_once_then_follow_every_change(
    client, admin, stages, django_assert_num_queries
):
    client.force_login(admin)
    persona = factories.PersonaFactory(name="Ops lead")
    client.get(URL)  # reads the choices into the cache
    with django_assert_num_queries(0):
        assert "Ops lead" in str(analytics_filters.DashboardFilter({}, user=admin).form["persona"])

    stages[0].name = "Researching"
    stages[0].save()
    persona.name = "Head of operations"
    persona.save()
    factories.PersonaFactory(name="Buyer")
    page = client.get(URL).content.decode()
    assert f'<option value="{stages[0].pk}">New business · Researching</option>' in page
    assert "Head of operations" in page and "Buyer" in page and "Ops lead" not in page

    stages[0].pipeline.name = "New logos"
    stages[0].pipeline.save()
    persona.delete()
    page = client.get(URL).content.decode()
    assert f'<option value="{stages[0].pk}">New logos · Researching</option>' in page
    assert "Head of operations" not in page


def test_a_chosen_persona_is_checked_against_the_personas_not_the_cached_list(client, admin):
    client.force_login(admin)
    client.get(URL)
    assert client.get(URL, {"persona": "999999"}).status_code == 400


def test_an_unknown_industry_is_a_bad_request(client, admin):
    client.force_login(admin)
    assert client.get(URL, {"industry": "mining"}).status_code == 400


def test_lost_reasons_are_those_of_the_chosen_pipeline(history, rep, admin, stages):
    expansion = factories.PipelineFactory(name="Upsell")
    upsell_stage = factories.StageFactory(pipeline=expansion, name="Offer", order=1)
    history.deal(owner=rep, steps=[(10, stages[0])], outcome=("lost", 5))
    history.deal(
        owner=rep,
        steps=[(10, upsell_stage)],
        outcome=("lost", 5),
        lost_reason=factories.LostReasonFactory(name="Timing"),
    )
    default = section(dashboard_for(admin), "lost_reasons")
    assert [row[:3] for row in default.rows] == [["Price too high", "Prospecting", "New business"]]
    upsell = section(dashboard_for(admin, pipeline=str(expansion.pk)), "lost_reasons")
    assert [row[:3] for row in upsell.rows] == [["Timing", "Offer", "Upsell"]]
    assert upsell.note == "Upsell"
