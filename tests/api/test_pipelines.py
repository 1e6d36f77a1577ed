"""Pipelines with their stages, and the lost reasons, as the board and the lost dialog show them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import LostReason, Pipeline
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


def test_pipelines_list_the_active_ones_with_their_stages_in_order(rep, pipeline, stages):
    hidden = factories.PipelineFactory(name="Old", is_active=False)
    results = ApiClient(rep).get("/api/v1/pipelines/").json()["results"]
    ids = [row["id"] for row in results]
    assert pipeline.pk in ids and hidden.pk not in ids
    assert ids == list(Pipeline.objects.filter(is_active=True).order_by("order", "id").values_list("pk", flat=True))
    listed = next(row for row in results if row["id"] == pipeline.pk)
    assert [stage["id"] for stage in listed["stages"]] == [stage.pk for stage in stages]
    first = listed["stages"][0]
    assert set(first) >= {"id", "name", "order", "probability"}
    assert first["probability"] == stages[0].probability


def test_a_pipeline_and_its_stages_read_alone(rep, pipeline, stages):
    api = ApiClient(rep)
    body = api.get(f"/api/v1/pipelines/{pipeline.pk}").json()
    assert body["name"] == pipeline.name and len(body["stages"]) == len(stages)
    assert [stage["id"] for stage in api.get(f"/api/v1/pipelines/{pipeline.pk}/stages").json()] == [
        stage.pk for stage in stages
    ]


def test_an_inactive_or_unknown_pipeline_is_404(rep, db):
    hidden = factories.PipelineFactory(name="Old", is_active=False)
    api = ApiClient(rep)
    is_problem(api.get(f"/api/v1/pipelines/{hidden.pk}"), 404)
    is_problem(api.get("/api/v1/pipelines/999999999"), 404)
    is_problem(api.get(f"/api/v1/pipelines/{2**70}"), 404)


def test_paging_through_pipelines_with_the_cursor(rep, pipeline):
    for n in range(4):
        factories.StageFactory(pipeline=factories.PipelineFactory(name=f"P{n}", order=10 + n))
    api = ApiClient(rep)
    first = api.get("/api/v1/pipelines/", {"page_size": 2}).json()
    seen = [row["id"] for row in first["results"]]
    page = first
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert seen == list(Pipeline.objects.filter(is_active=True).order_by("order", "id").values_list("pk", flat=True))


def _queries(user):
    api = ApiClient(user)
    api.get("/api/v1/pipelines/")
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/pipelines/")
    return len(queries)


def test_the_pipeline_list_costs_the_same_queries_for_3_and_for_30_pipelines(rep, db):
    def make(n, start):
        for i in range(n):
            pipeline = factories.PipelineFactory(name=f"Pipeline x{start + i}")
            factories.StageFactory(pipeline=pipeline)

    make(3, 0)
    few = _queries(rep)
    make(27, 3)
    assert _queries(rep) == few


def test_lost_reasons_are_the_active_ones(rep, db):
    active = factories.LostReasonFactory(name="No budget")
    inactive = factories.LostReasonFactory(name="Gone quiet")
    LostReason.objects.filter(pk=inactive.pk).update(is_active=False)
    ids = {row["id"] for row in ApiClient(rep).get("/api/v1/lost-reasons/", {"page_size": 200}).json()["results"]}
    assert active.pk in ids and inactive.pk not in ids
    assert ids == set(LostReason.objects.filter(is_active=True).values_list("pk", flat=True))


def test_pipelines_need_authentication(client):
    is_problem(client.get("/api/v1/pipelines/"), 401)
