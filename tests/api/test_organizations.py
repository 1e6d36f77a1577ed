"""The organizations resource: the list's filters and paging, read, create (with the page's
form and its duplicate check), change, the trash, and who sees and changes what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import LogEntry
from customers.models import Organization
from events import representations
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations/"


def test_the_list_shows_the_organizations_the_caller_sees_newest_first(rep, teammate, outsider):
    mine = factories.OrganizationFactory(owner=rep, name="Alpha")
    teams = factories.OrganizationFactory(owner=teammate, name="Beta")
    factories.OrganizationFactory(owner=outsider, name="Gamma")
    body = ApiClient(rep).get(URL).json()
    assert [row["id"] for row in body["results"]] == [teams.pk, mine.pk]
    row = body["results"][1]
    assert row["owner"] == {"id": rep.pk, "name": str(rep)}
    assert row["open_deals"] == 0
    assert row["open_value"] == {"amount": "0.00", "currency": "EUR"}


def test_the_list_takes_the_pages_filters(rep):
    north = factories.OrganizationFactory(owner=rep, name="Nordlicht AG", region="north", industry="software")
    factories.OrganizationFactory(owner=rep, name="Südwind GmbH", region="south", industry="retail")
    api = ApiClient(rep)
    assert [r["id"] for r in api.get(URL, {"region": "north"}).json()["results"]] == [north.pk]
    assert [r["id"] for r in api.get(URL, {"q": "nordlicht"}).json()["results"]] == [north.pk]
    factories.DealFactory(owner=rep, organization=north)
    assert [r["id"] for r in api.get(URL, {"open_deals": "yes"}).json()["results"]] == [north.pk]
    body = is_problem(api.get(URL, {"region": "mars"}), 422)
    assert body["errors"][0]["field"] == "region"


def test_paging_through_two_pages_with_the_cursor(rep):
    created = [factories.OrganizationFactory(owner=rep).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get(URL, {"page_size": 3}).json()
    assert [r["id"] for r in first["results"]] == created[::-1][:3]
    second = api.client.get(first["next"], headers=api._headers(None)).json()
    assert [r["id"] for r in second["results"]] == created[::-1][3:]
    assert second["next"] is None


def test_the_list_costs_the_same_queries_at_3_and_at_30_rows(rep):
    api = ApiClient(rep)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL, {"page_size": 50}).status_code == 200
        return len(queries)

    count()  # the token's first use records its last use
    tag = factories.TagFactory()
    for _ in range(3):
        factories.OrganizationFactory(owner=rep).tags.add(tag)
    small = count()
    for _ in range(27):
        factories.OrganizationFactory(owner=rep).tags.add(tag)
    assert count() == small


def test_read_answers_404_outside_the_scope(rep, outsider, manager, admin):
    organization = factories.OrganizationFactory(owner=rep)
    path = f"{URL}{organization.pk}"
    assert ApiClient(rep).get(path).json()["name"] == organization.name
    assert ApiClient(manager).get(path).status_code == 200
    assert ApiClient(admin).get(path).status_code == 200
    is_problem(ApiClient(outsider).get(path), 404)
    is_problem(ApiClient(rep).get(f"{URL}999999999999"), 404)


def test_create_validates_with_the_pages_form_and_normalises(rep):
    api = ApiClient(rep)
    response = api.post(
        URL,
        {"name": "  Müller   Maschinenbau  ", "phone": "030 1234567", "vat_id": "de 123-456-789", "country": "de"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Müller Maschinenbau"
    assert body["phone"] == "+49301234567"
    assert body["vat_id"] == "DE123456789"
    assert body["country"] == "DE"
    assert body["owner"]["id"] == rep.pk
    entry = LogEntry.objects.filter(object_pk=str(body["id"])).latest("timestamp")
    assert entry.source == "api"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "vat_id": "123"}, "vat_id"),
        ({"name": "X", "country": "Germany"}, "country"),
        ({"name": "X", "region": "mars"}, "region"),
        ({"name": "X", "website": "not a url"}, "website"),
        ({"name": "X", "owner_id": 2**70}, "owner_id"),
        ({"name": 5}, "name"),
        ({}, "name"),
    ],
)
def test_bad_input_is_a_422_naming_the_member(rep, payload, field):
    body = is_problem(ApiClient(rep).post(URL, payload), 422)
    assert field in {error["field"] for error in body["errors"]}
    assert not Organization.objects.filter(name="X").exists()


def test_a_likely_duplicate_is_409_unless_created_anyway(rep):
    existing = factories.OrganizationFactory(owner=rep, name="Nordlicht AG")
    api = ApiClient(rep)
    body = is_problem(api.post(URL, {"name": "nordlicht ag"}), 409)
    assert body["duplicates"] == [{"id": existing.pk, "name": "Nordlicht AG"}]
    assert api.post(URL, {"name": "nordlicht ag", "create_anyway": True}).status_code == 201


def test_a_rep_may_not_give_a_new_organization_to_someone_else(rep, teammate, manager):
    body = is_problem(ApiClient(rep).post(URL, {"name": "X", "owner_id": teammate.pk}), 422)
    assert body["errors"][0]["field"] == "owner_id"
    response = ApiClient(manager).post(URL, {"name": "X", "owner_id": teammate.pk})
    assert response.status_code == 201
    assert response.json()["owner"]["id"] == teammate.pk


def test_patch_changes_only_what_is_sent(rep):
    organization = factories.OrganizationFactory(owner=rep, name="Alpha", city="Kiel", phone="+49301234567")
    response = ApiClient(rep).patch(f"{URL}{organization.pk}", {"city": "Hamburg"})
    assert response.status_code == 200, response.content
    organization.refresh_from_db()
    assert (organization.name, organization.city, organization.phone) == ("Alpha", "Hamburg", "+49301234567")


def test_patch_by_role(rep, teammate, outsider, manager):
    organization = factories.OrganizationFactory(owner=rep, name="Alpha")
    path = f"{URL}{organization.pk}"
    is_problem(ApiClient(outsider).patch(path, {"city": "Bonn"}), 404)
    # As on the page: whoever sees an organization may change its facts, not hand it over.
    assert ApiClient(teammate).patch(path, {"city": "Bonn"}).status_code == 200
    is_problem(ApiClient(teammate).patch(path, {"owner_id": teammate.pk}), 403)
    assert ApiClient(manager).patch(path, {"owner_id": teammate.pk}).json()["owner"]["id"] == teammate.pk


def test_delete_puts_it_in_the_trash_and_restore_takes_it_out(rep):
    organization = factories.OrganizationFactory(owner=rep)
    contact = factories.ContactFactory(organization=organization, owner=rep)
    api = ApiClient(rep)
    assert api.delete(f"{URL}{organization.pk}").status_code == 204
    assert Organization.all_objects.get(pk=organization.pk).deleted_at is not None
    assert contact.__class__.all_objects.get(pk=contact.pk).deleted_at is not None
    is_problem(api.get(f"{URL}{organization.pk}"), 404)
    trash = api.get(f"{URL}trash").json()["results"]
    assert [(row["id"], row["deleted_by"]["id"]) for row in trash] == [(organization.pk, rep.pk)]
    response = api.post(f"{URL}{organization.pk}/restore")
    assert response.status_code == 200
    assert Organization.objects.filter(pk=organization.pk).exists()
    is_problem(api.post(f"{URL}{organization.pk}/restore"), 404)


def test_delete_is_refused_with_the_reason_while_deals_point_at_it(rep):
    organization = factories.OrganizationFactory(owner=rep, name="Alpha")
    factories.DealFactory(owner=rep, organization=organization)
    body = is_problem(ApiClient(rep).delete(f"{URL}{organization.pk}"), 409)
    assert "Alpha" in body["detail"] and "1 deal" in body["detail"]
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_delete_by_role(rep, teammate, outsider, manager):
    organization = factories.OrganizationFactory(owner=rep)
    path = f"{URL}{organization.pk}"
    is_problem(ApiClient(outsider).delete(path), 404)
    is_problem(ApiClient(teammate).delete(path), 403)
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert ApiClient(manager).delete(path).status_code == 204


def test_a_read_token_cannot_create(rep):
    from api.models import ApiToken

    is_problem(ApiClient(rep, scope=ApiToken.Scope.READ).post(URL, {"name": "X"}), 403)


def test_the_webhook_representation_is_the_apis_read(rep, outsider):
    organization = factories.OrganizationFactory(owner=rep)
    assert representations.represent("organization", organization.pk, user=rep)["id"] == organization.pk
    assert representations.represent("organization", organization.pk, user=outsider) is None


def test_a_huge_id_is_404_and_a_huge_filter_value_422(rep):
    api = ApiClient(rep)
    is_problem(api.get(f"{URL}{2**70}"), 404)
    is_problem(api.patch(f"{URL}{2**70}", {}), 404)
    is_problem(api.get(URL, {"owner": str(2**70)}), 422)
