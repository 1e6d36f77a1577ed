"""The leads resource: the lead list's FilterSet and paging, read, create (with the page's
form and its duplicate check), change, status transitions, the conversion into a deal, and who
sees and changes what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Deal
from events import representations
from leads.models import Lead, LeadStatusChange
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads/"


def test_the_list_shows_the_leads_the_caller_sees(rep, teammate, outsider, manager):
    mine = factories.LeadFactory(owner=rep)
    teams = factories.LeadFactory(owner=teammate)
    factories.LeadFactory(owner=outsider)
    unassigned = factories.LeadFactory(owner=None)
    assert [r["id"] for r in ApiClient(rep).get(URL).json()["results"]] == [teams.pk, mine.pk]
    assert [r["id"] for r in ApiClient(manager).get(URL).json()["results"]] == [unassigned.pk, teams.pk, mine.pk]


def test_the_list_takes_the_lead_lists_filters(rep):
    hot = factories.LeadFactory(owner=rep, need=3, budget=3, authority=3, timing=3, score=100, source="referral")
    factories.LeadFactory(owner=rep, source="web_form", status=Lead.Status.DISQUALIFIED, disqualified_reason="x")
    api = ApiClient(rep)
    assert [r["id"] for r in api.get(URL, {"band": "hot"}).json()["results"]] == [hot.pk]
    assert [r["id"] for r in api.get(URL, {"source": "referral"}).json()["results"]] == [hot.pk]
    assert [r["id"] for r in api.get(URL, {"status": "open"}).json()["results"]] == [hot.pk]
    assert [r["id"] for r in api.get(URL, {"score_min": "90"}).json()["results"]] == [hot.pk]
    body = is_problem(api.get(URL, {"score_min": "lots"}), 422)
    assert body["errors"][0]["field"] == "score_min"


def test_paging_through_two_pages_with_the_cursor(rep):
    created = [factories.LeadFactory(owner=rep).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get(URL, {"page_size": 2}).json()
    second = api.client.get(first["next"], headers=api._headers(None)).json()
    assert [r["id"] for r in first["results"] + second["results"]] == created[::-1][:4]


def test_the_list_costs_the_same_queries_at_3_and_at_30_rows(rep, stages):
    api = ApiClient(rep)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL, {"page_size": 50}).status_code == 200
        return len(queries)

    count()  # the token's first use records its last use
    persona = factories.PersonaFactory()

    def add(n):
        for _ in range(n):
            lead = factories.LeadFactory(owner=rep, persona=persona, contact=factories.ContactFactory())
            factories.DealFactory(owner=rep, stage=stages[0], source_lead=lead)

    add(3)
    small = count()
    add(27)
    assert count() == small


def test_read_by_role_and_expand(rep, outsider, manager):
    organization = factories.OrganizationFactory(name="Alpha")
    contact = factories.ContactFactory(organization=organization, job_title="CTO")
    lead = factories.LeadFactory(owner=rep, organization=organization, contact=contact)
    path = f"{URL}{lead.pk}"
    body = ApiClient(rep).get(path).json()
    assert body["organization"] == {"id": organization.pk, "name": "Alpha"}
    assert body["allowed_transitions"] == ["contacted", "disqualified"]
    expanded = ApiClient(rep).get(path, {"expand": "organization,contact"}).json()
    assert expanded["contact"]["job_title"] == "CTO"
    assert expanded["organization"]["region"] == organization.region
    assert ApiClient(manager).get(path).status_code == 200
    is_problem(ApiClient(outsider).get(path), 404)


def test_create_through_the_pages_form(rep):
    response = ApiClient(rep).post(
        URL, {"last_name": "Lang", "company_name": "Lang KG", "email": "l@lang.example", "need": 3, "budget": 3}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == rep.pk
    assert body["status"] == "new"
    assert body["score"] == 55
    assert LeadStatusChange.objects.filter(lead_id=body["id"], to_status="new").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_name": ""}, "last_name"),
        ({"last_name": "X", "email": "nope"}, "email"),
        ({"last_name": "X", "source": "pigeon"}, "source"),
        ({"last_name": "X", "need": 4}, "need"),
        ({"last_name": "X", "persona_id": 2**40}, "persona_id"),
        ({"last_name": "X", "persona_id": 123456}, "persona_id"),
        ({"last_name": ["X"]}, "last_name"),
    ],
)
def test_bad_input_is_a_422_naming_the_member(rep, payload, field):
    body = is_problem(ApiClient(rep).post(URL, payload), 422)
    assert field in {error["field"] for error in body["errors"]}
    assert not Lead.objects.filter(last_name="X").exists()


def test_a_known_email_is_409_unless_created_anyway(rep):
    existing = factories.LeadFactory(owner=rep, email="l@lang.example")
    api = ApiClient(rep)
    body = is_problem(api.post(URL, {"last_name": "Lang", "email": "L@lang.example"}), 409)
    assert body["duplicates"][0]["id"] == existing.pk
    assert api.post(URL, {"last_name": "Lang", "email": "l@lang.example", "create_anyway": True}).status_code == 201


def test_a_rep_may_not_give_a_lead_to_a_teammate(rep, teammate):
    body = is_problem(ApiClient(rep).post(URL, {"last_name": "X", "owner_id": teammate.pk}), 422)
    assert body["errors"][0]["field"] == "owner_id"


def test_patch_changes_only_what_is_sent_and_rescores(rep):
    lead = factories.LeadFactory(owner=rep, job_title="CTO")
    response = ApiClient(rep).patch(f"{URL}{lead.pk}", {"need": 3})
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert (lead.job_title, lead.need, lead.score) == ("CTO", 3, 30)


def test_patch_by_role(rep, teammate, outsider, manager):
    lead = factories.LeadFactory(owner=rep)
    path = f"{URL}{lead.pk}"
    is_problem(ApiClient(outsider).patch(path, {"job_title": "CEO"}), 404)
    is_problem(ApiClient(teammate).patch(path, {"job_title": "CEO"}), 403)
    assert ApiClient(manager).patch(path, {"owner_id": teammate.pk}).json()["owner"]["id"] == teammate.pk


def test_status_changes_follow_the_allowed_transitions(rep):
    lead = factories.LeadFactory(owner=rep)
    api = ApiClient(rep)
    path = f"{URL}{lead.pk}/status"
    assert api.post(path, {"to_status": "contacted"}).json()["status"] == "contacted"
    body = is_problem(api.post(path, {"to_status": "new"}), 400)
    assert "cannot go from" in body["detail"]
    is_problem(api.post(path, {"to_status": "disqualified"}), 400)  # needs a reason
    is_problem(api.post(path, {"to_status": "converted"}), 400)
    is_problem(api.post(path, {"to_status": "sideways"}), 422)
    body = api.post(path, {"to_status": "disqualified", "reason": "No budget"}).json()
    assert (body["status"], body["disqualified_reason"]) == ("disqualified", "No budget")


def test_convert_creates_the_deal_and_a_second_convert_is_refused(rep, pipeline):
    lead = factories.LeadFactory(owner=rep, company_name="Lang KG", email="l@lang.example")
    api = ApiClient(rep)
    path = f"{URL}{lead.pk}/convert"
    response = api.post(path, {"pipeline_id": pipeline.pk, "value": "12000.50", "title": "Lang KG: Rollout"})
    assert response.status_code == 201, response.content
    body = response.json()
    deal = Deal.objects.get(pk=body["deal"]["id"])
    assert (deal.title, str(deal.value), deal.owner_id, deal.source_lead_id) == (
        "Lang KG: Rollout",
        "12000.50",
        rep.pk,
        lead.pk,
    )
    assert body["organization"] == {"id": deal.organization_id, "name": "Lang KG"}
    assert body["contact"]["id"] == deal.contact_id
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONVERTED
    read = api.get(f"{URL}{lead.pk}").json()
    assert read["deal"] == {"id": deal.pk, "name": deal.title}
    assert read["allowed_transitions"] == []
    body = is_problem(api.post(path, {"pipeline_id": pipeline.pk}), 409)
    assert "already been converted" in body["detail"]
    assert Deal.objects.filter(source_lead=lead).count() == 1


def test_convert_takes_the_pages_proposals_for_what_is_left_out(rep, pipeline):
    lead = factories.LeadFactory(owner=rep, company_name="Lang KG")
    response = ApiClient(rep).post(f"{URL}{lead.pk}/convert", {})
    assert response.status_code == 201, response.content
    deal = Deal.objects.get(source_lead=lead)
    assert deal.title == "Lang KG" and deal.pipeline_id == pipeline.pk


def test_convert_refusals(rep, teammate, outsider, pipeline):
    lead = factories.LeadFactory(owner=rep)
    path = f"{URL}{lead.pk}/convert"
    is_problem(ApiClient(outsider).post(path, {}), 404)
    is_problem(ApiClient(teammate).post(path, {}), 403)
    body = is_problem(ApiClient(rep).post(path, {"value": "-5"}), 422)
    assert body["errors"][0]["field"] == "value"
    is_problem(ApiClient(rep).post(path, {"pipeline_id": 2**40}), 422)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.DISQUALIFIED, disqualified_reason="x")
    body = is_problem(ApiClient(rep).post(path, {}), 409)
    assert "open lead" in body["detail"]
    assert not Deal.objects.filter(source_lead=lead).exists()


def test_the_webhook_representation_is_the_apis_read(rep, outsider):
    lead = factories.LeadFactory(owner=rep)
    assert representations.represent("lead", lead.pk, user=rep)["status"] == "new"
    assert representations.represent("lead", lead.pk, user=outsider) is None


def test_a_huge_id_is_404_and_a_huge_filter_value_422(rep):
    api = ApiClient(rep)
    is_problem(api.get(f"{URL}{2**70}"), 404)
    is_problem(api.patch(f"{URL}{2**70}", {}), 404)
    is_problem(api.get(URL, {"owner": str(2**70)}), 422)


def test_a_converted_lead_is_closed_to_changes(rep, pipeline):
    lead = factories.LeadFactory(owner=rep)
    api = ApiClient(rep)
    assert api.post(f"{URL}{lead.pk}/convert", {}).status_code == 201
    body = is_problem(api.patch(f"{URL}{lead.pk}", {"job_title": "CEO"}), 400)
    assert "converted" in body["detail"]
    is_problem(api.post(f"{URL}{lead.pk}/status", {"to_status": "nurturing"}), 400)
