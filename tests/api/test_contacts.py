"""The contacts resource: the list's filters and paging, read with `?expand=organization`,
create and change with the page's form (organization, further addresses, phone numbers in
E.164, the duplicate check), the trash, and who sees and changes what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Contact, ContactMove
from events import representations
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def test_the_list_shows_the_contacts_the_caller_sees(rep, teammate, outsider):
    mine = factories.ContactFactory(owner=rep, organization=None)
    teams = factories.ContactFactory(owner=teammate, organization=None)
    factories.ContactFactory(owner=outsider, organization=None)
    body = ApiClient(rep).get(URL).json()
    assert [row["id"] for row in body["results"]] == [teams.pk, mine.pk]


def test_the_list_takes_the_pages_filters(rep):
    north = factories.OrganizationFactory(owner=rep, region="north")
    south = factories.OrganizationFactory(owner=rep, region="south")
    boss = factories.ContactFactory(owner=rep, organization=north, decision_role="decision_maker", last_name="Boss")
    factories.ContactFactory(owner=rep, organization=south, decision_role="user")
    api = ApiClient(rep)
    assert [r["id"] for r in api.get(URL, {"region": "north"}).json()["results"]] == [boss.pk]
    assert [r["id"] for r in api.get(URL, {"decision_role": "decision_maker"}).json()["results"]] == [boss.pk]
    assert [r["id"] for r in api.get(URL, {"q": "boss"}).json()["results"]] == [boss.pk]
    is_problem(api.get(URL, {"email_consent": "maybe"}), 422)


def test_paging_through_two_pages_with_the_cursor(rep):
    created = [factories.ContactFactory(owner=rep, organization=None).pk for _ in range(4)]
    api = ApiClient(rep)
    first = api.get(URL, {"page_size": 2}).json()
    second = api.client.get(first["next"], headers=api._headers(None)).json()
    assert [r["id"] for r in first["results"] + second["results"]] == created[::-1]


def test_the_list_costs_the_same_queries_at_3_and_at_30_rows(rep):
    api = ApiClient(rep)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL, {"page_size": 50, "expand": "organization"}).status_code == 200
        return len(queries)

    count()  # the token's first use records its last use

    def add(n):
        for _ in range(n):
            contact = factories.ContactFactory(owner=rep)
            contact.channels.create(kind="phone", label="mobile", value="+491701234567")

    add(3)
    small = count()
    add(27)
    assert count() == small


def test_read_expands_the_organization(rep):
    organization = factories.OrganizationFactory(owner=rep, name="Alpha", city="Kiel")
    contact = factories.ContactFactory(owner=rep, organization=organization)
    api = ApiClient(rep)
    assert api.get(f"{URL}{contact.pk}").json()["organization"] == {"id": organization.pk, "name": "Alpha"}
    expanded = api.get(f"{URL}{contact.pk}", {"expand": "organization"}).json()["organization"]
    assert expanded["city"] == "Kiel" and expanded["id"] == organization.pk


def test_read_by_role(rep, outsider, manager):
    contact = factories.ContactFactory(owner=rep, organization=None)
    assert ApiClient(manager).get(f"{URL}{contact.pk}").status_code == 200
    is_problem(ApiClient(outsider).get(f"{URL}{contact.pk}"), 404)


def test_create_with_organization_channels_and_phone_in_e164(rep):
    organization = factories.OrganizationFactory(owner=rep)
    response = ApiClient(rep).post(
        URL,
        {
            "first_name": "Eva",
            "last_name": "Engel",
            "organization_id": organization.pk,
            "email": "eva@example.org",
            "phone": "030 1234567",
            "channels": [
                {"kind": "phone", "label": "mobile", "value": "0170 1234567"},
                {"kind": "email", "label": "private", "value": "eva@home.example"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"]["id"] == organization.pk
    assert body["phone"] == "+49301234567"
    assert {(c["kind"], c["value"]) for c in body["channels"]} == {
        ("phone", "+491701234567"),
        ("email", "eva@home.example"),
    }


def test_the_organization_by_name_as_the_form_does(rep, outsider):
    organization = factories.OrganizationFactory(owner=rep, name="Alpha")
    hidden = factories.OrganizationFactory(owner=outsider, name="Hidden")
    api = ApiClient(rep)
    assert api.post(URL, {"last_name": "A", "organization": "alpha"}).json()["organization"]["id"] == organization.pk
    body = is_problem(api.post(URL, {"last_name": "B", "organization": "Hidden"}), 422)
    assert body["errors"][0]["field"] == "organization"
    body = is_problem(api.post(URL, {"last_name": "B", "organization_id": hidden.pk}), 422)
    assert body["errors"][0]["field"] == "organization_id"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"last_name": ""}, "last_name"),
        ({"last_name": "X", "email": "nope"}, "email"),
        ({"last_name": "X", "phone": "12"}, "phone"),
        ({"last_name": "X", "channels": [{"kind": "email", "value": "nope"}]}, "channels.0.value"),
        ({"last_name": "X", "channels": [{"kind": "phone", "value": "12"}]}, "channels.0.value"),
        ({"last_name": "X", "channels": [{"kind": "fax", "value": "1"}]}, "channels.0.kind"),
        ({"last_name": "X", "organization_id": 2**40}, "organization_id"),
        ({"last_name": "X", "decision_role": "king"}, "decision_role"),
    ],
)
def test_bad_input_is_a_422_naming_the_member(rep, payload, field):
    body = is_problem(ApiClient(rep).post(URL, payload), 422)
    assert field in {error["field"] for error in body["errors"]}
    assert not Contact.objects.filter(last_name="X").exists()


def test_a_known_address_is_409_unless_created_anyway(rep):
    existing = factories.ContactFactory(owner=rep, email="eva@example.org")
    api = ApiClient(rep)
    body = is_problem(api.post(URL, {"last_name": "Engel", "email": "EVA@example.org"}), 409)
    assert body["duplicates"][0]["id"] == existing.pk
    assert api.post(URL, {"last_name": "Engel", "email": "eva@example.org", "create_anyway": True}).status_code == 201


def test_patch_moves_the_contact_and_keeps_what_is_not_sent(rep):
    before = factories.OrganizationFactory(owner=rep)
    after = factories.OrganizationFactory(owner=rep)
    contact = factories.ContactFactory(owner=rep, organization=before, job_title="CTO", phone="+49301234567")
    contact.channels.create(kind="email", label="private", value="x@home.example")
    response = ApiClient(rep).patch(f"{URL}{contact.pk}", {"organization_id": after.pk})
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.organization_id, contact.job_title, contact.phone) == (after.pk, "CTO", "+49301234567")
    assert contact.channels.count() == 1
    assert ContactMove.objects.filter(contact=contact, from_organization=before, to_organization=after).exists()
    ApiClient(rep).patch(f"{URL}{contact.pk}", {"channels": []})
    assert contact.channels.count() == 0


def test_patch_by_role(rep, teammate, outsider):
    contact = factories.ContactFactory(owner=rep, organization=None)
    path = f"{URL}{contact.pk}"
    is_problem(ApiClient(outsider).patch(path, {"job_title": "CEO"}), 404)
    assert ApiClient(teammate).patch(path, {"job_title": "CEO"}).status_code == 200
    is_problem(ApiClient(teammate).patch(path, {"owner_id": teammate.pk}), 403)


def test_delete_into_the_trash_refused_while_a_lead_points_at_it(rep, teammate):
    contact = factories.ContactFactory(owner=rep, organization=None)
    lead = factories.LeadFactory(owner=rep, contact=contact)
    api = ApiClient(rep)
    body = is_problem(api.delete(f"{URL}{contact.pk}"), 409)
    assert "1 lead" in body["detail"]
    lead.delete()
    is_problem(ApiClient(teammate).delete(f"{URL}{contact.pk}"), 403)
    assert api.delete(f"{URL}{contact.pk}").status_code == 204
    assert Contact.all_objects.get(pk=contact.pk).deleted_at is not None
    is_problem(api.get(f"{URL}{contact.pk}"), 404)
    assert [row["id"] for row in api.get(f"{URL}trash").json()["results"]] == [contact.pk]
    assert ApiClient(teammate).get(f"{URL}trash").json()["results"] == []
    assert api.post(f"{URL}{contact.pk}/restore").status_code == 200
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_the_webhook_representation_is_the_apis_read(rep):
    contact = factories.ContactFactory(owner=rep)
    payload = representations.represent("contact", contact.pk, user=rep)
    assert payload["organization"] == {"id": contact.organization_id, "name": contact.organization.name}


def test_a_huge_id_is_404_and_a_huge_filter_value_422(rep):
    api = ApiClient(rep)
    is_problem(api.get(f"{URL}{2**70}"), 404)
    is_problem(api.patch(f"{URL}{2**70}", {}), 404)
    is_problem(api.get(URL, {"owner": str(2**70)}), 422)
