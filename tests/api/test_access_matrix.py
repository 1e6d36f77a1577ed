"""The API's access matrix: every operation of `api.main.api` × every role, from the table in
tests/api/access_expectations.py. An operation without a row fails here (so does a row for an
operation that no longer exists). Every operation also answers 401 without credentials, and
every write answers 403 to a read token, whoever holds it.

The cast is the pages' matrix's (tests/core/test_access_matrix.py) in small: the owner rep
(alice, North), her teammate (bob), a rep of South (charlie), North's manager, South's
manager and the admin, and the owner's records: her open deal (with its organization, contact,
a catalogue line item, a planned activity and a draft quote with a line), a won deal, a lead, a
lost reason, a spare organization and contact nothing points at (to delete), and a trashed
organization and contact (to restore). Each request runs in a transaction that is rolled back,
so every role meets the records as built.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from api.main import api
from api.models import ApiToken
from deals.models import Deal, DealProduct
from quotes import services as quote_services
from tests import factories
from tests.api.access_expectations import OPERATIONS, ROLES
from tests.api.helpers import ApiClient, token_for

pytestmark = pytest.mark.django_db

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SCHEMA_OPERATION = ("GET", "/openapi.json")


def _join(*parts):
    path = "/".join(part.strip("/") for part in parts if part.strip("/"))
    return "/" + path + ("/" if parts[-1].endswith("/") else "")


def walk(routers, prefix=""):
    """(METHOD, path under /api/v1) of every operation, sub-routers included."""
    for router_prefix, router in routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, _join(prefix, router_prefix, path)
        yield from walk(router._routers, _join(prefix, router_prefix))


API_OPERATIONS = [*sorted(set(walk(api._routers))), SCHEMA_OPERATION]


@dataclass
class Cast:
    users: dict
    records: dict

    def __getattr__(self, name):  # cast.owner, cast.deal, …
        for group in ("users", "records"):
            if name in self.__dict__[group]:
                return self.__dict__[group][name]
        raise AttributeError(name)

    @property
    def secrets(self):
        """What a refusal must not show: the names of the owner's records."""
        return [text.encode() for text in (self.deal.title, self.organization.name, self.lead.company_name)]


@pytest.fixture
def cast(rep, teammate, outsider, manager, manager_south, admin, stages, settings):
    settings.API_RATE_LIMIT = "100000/min"
    users = {
        "owner": rep,
        "teammate": teammate,
        "outsider": outsider,
        "manager": manager,
        "manager_south": manager_south,
        "admin": admin,
    }
    organization = factories.OrganizationFactory(owner=rep, name="Matrix organization of Alice")
    contact = factories.ContactFactory(organization=organization, owner=rep, email="kim@customer.example")
    deal = factories.DealFactory(
        owner=rep, stage=stages[0], title="Matrix deal of Alice", organization=organization, contact=contact
    )
    product = factories.ProductFactory(name="Matrix product")
    line_item = DealProduct.objects.create(
        deal=deal, product=product, description="Matrix product", unit_price=Decimal("100"), vat_rate=19
    )
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)  # a draft of the line item
    won_deal = factories.DealFactory(
        owner=rep, stage=stages[0], organization=organization, status=Deal.Status.WON, won_at=timezone.now()
    )
    spare_organization = factories.OrganizationFactory(owner=rep)
    spare_contact = factories.ContactFactory(organization=spare_organization, owner=rep)
    trashed_organization = factories.OrganizationFactory(owner=rep)
    trashed_contact = factories.ContactFactory(organization=None, owner=rep)
    for record in (trashed_organization, trashed_contact):
        type(record).all_objects.filter(pk=record.pk).update(deleted_at=timezone.now(), deleted_by=rep)
    factories.DealFactory(owner=outsider, stage=stages[0])
    records = {
        "deal": deal,
        "organization": organization,
        "contact": contact,
        "line_item": line_item,
        "product": product,
        "quote": quote,
        "won_deal": won_deal,
        "lead": factories.LeadFactory(owner=rep, company_name="Matrix lead of Alice"),
        "activity": factories.ActivityFactory(deal=deal, subject="Matrix call"),
        "lost_reason": factories.LostReasonFactory(),
        "spare_organization": spare_organization,
        "spare_contact": spare_contact,
        "trashed_organization": trashed_organization,
        "trashed_contact": trashed_contact,
    }
    return Cast(users=users, records=records)


def _send(client, method, url, body):
    if method == "GET":
        return client.get(url)
    send = {"POST": client.post, "PUT": client.put, "PATCH": client.patch}.get(method)
    if send is not None:
        return send(url, body)
    return client.delete(url)


def _rolled_back(client, method, url, body):
    with transaction.atomic():
        response = _send(client, method, url, body)
        transaction.set_rollback(True)
    return response


def _missing(key):
    method, path = key
    return (
        f"No API access expectation for {method} {path}.\n"
        "Add a row to OPERATIONS in tests/api/access_expectations.py, for example:\n"
        f"    ({method!r}, {path!r}): Op(\n"
        "        url=lambda cast: f'/api/v1/…/{cast.deal.pk}',\n"
        "        body=lambda cast: {…},   # writes\n"
        "        expected=see(200),       # everyone(…), see(…), change(…), or a dict per role\n"
        "    ),"
    )


@pytest.mark.parametrize("key", API_OPERATIONS, ids=lambda key: f"{key[0]} {key[1]}")
def test_every_operation_answers_each_role_as_designed(cast, key):
    spec = OPERATIONS.get(key)
    if spec is None:
        pytest.fail(_missing(key))
    method = key[0]
    url = spec.url(cast)
    body = spec.body(cast) if spec.body else None
    failures = []
    for role in ROLES:
        response = _rolled_back(ApiClient(cast.users[role]), method, url, body)
        if response.status_code != spec.expected[role]:
            failures.append(
                f"{method} {url} as {role}: expected {spec.expected[role]}, got {response.status_code} "
                f"{response.content[:200]!r}"
            )
            continue
        if response.status_code == 404 and any(secret in response.content for secret in cast.secrets):
            failures.append(f"{method} {url} as {role}: the 404 shows the record it hides")
        if spec.listed is not None and response.status_code == 200:
            ids = {item["id"] for item in response.json()["results"]}
            record = spec.record(cast)
            if (record in ids) != (role in spec.listed):
                failures.append(
                    f"{method} {url} as {role}: the owner's record {record} "
                    f"{'is' if role not in spec.listed else 'is not'} listed"
                )
    anonymous = _rolled_back(ApiClient(), method, url, body)
    expected_anonymous = 200 if spec.public else 401
    if anonymous.status_code != expected_anonymous:
        failures.append(
            f"{method} {url} without credentials: expected {expected_anonymous}, got {anonymous.status_code}"
        )
    if method in WRITE_METHODS:
        reader = ApiClient(raw=token_for(cast.admin, ApiToken.Scope.READ, name="read"))
        response = _rolled_back(reader, method, url, body)
        if response.status_code != 403:
            failures.append(f"{method} {url} with a read token: expected 403, got {response.status_code}")
    assert not failures, "\n".join(failures)


def test_every_expectation_names_an_operation():
    stale = sorted(set(OPERATIONS) - set(API_OPERATIONS))
    assert not stale, f"OPERATIONS has rows for operations that no longer exist: {stale}"


def test_the_walk_reaches_the_operations():
    assert {("GET", "/deals/"), ("GET", "/deals/{int:deal_id}"), ("POST", "/deals/{int:deal_id}/move")} <= set(
        API_OPERATIONS
    )
