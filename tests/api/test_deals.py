"""Deals through the API: list with the board's filters and ?expand=, read, create, change,
move, win, lose, reopen, line items — with the pages' rights and messages."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import Deal, DealProduct, StageChange
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep, stages):
    return factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout")


@pytest.fixture
def reason(db):
    return factories.LostReasonFactory(name="Price too high")


# --- list and read ------------------------------------------------------------------------------


def test_the_list_shows_the_deals_in_scope_newest_first(rep, teammate, outsider, stages):
    mine = factories.DealFactory(owner=rep, stage=stages[0])
    teams = factories.DealFactory(owner=teammate, stage=stages[0])
    factories.DealFactory(owner=outsider, stage=stages[0])
    ids = [row["id"] for row in ApiClient(rep).get("/api/v1/deals/").json()["results"]]
    assert ids == [teams.pk, mine.pk]


def test_the_list_keeps_the_boards_filters(rep, stages):
    factories.DealFactory(owner=rep, stage=stages[0], title="Globex renewal")
    factories.DealFactory(owner=rep, stage=stages[0], title="Initech pilot")
    won = factories.DealFactory(
        owner=rep, stage=stages[0], title="Globex won", status=Deal.Status.WON, won_at=timezone.now()
    )
    api = ApiClient(rep)
    titles = {row["title"] for row in api.get("/api/v1/deals/", {"q": "globex"}).json()["results"]}
    assert titles == {"Globex renewal"}
    everything = api.get("/api/v1/deals/", {"status": "all", "q": "globex"}).json()["results"]
    assert won.pk in {row["id"] for row in everything}


def test_a_bad_filter_value_is_a_422_naming_it(rep):
    body = is_problem(ApiClient(rep).get("/api/v1/deals/", {"close_from": "not-a-date"}), 422)
    assert "close_from" in {error["field"] for error in body["errors"]}


def test_paging_through_two_pages_with_the_cursor(rep, stages):
    created = [factories.DealFactory(owner=rep, stage=stages[0]).pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get("/api/v1/deals/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == sorted(created, reverse=True)
    assert second["next"] is None


def test_expand_gives_the_whole_organization_contact_owner_and_line_items(rep, deal):
    contact = factories.ContactFactory(organization=deal.organization, email="ann@example.com")
    Deal.objects.filter(pk=deal.pk).update(contact=contact)
    DealProduct.objects.create(deal=deal, description="Set-up", unit_price=Decimal("100"), quantity=Decimal("2"))
    api = ApiClient(rep)
    plain = api.get(f"/api/v1/deals/{deal.pk}").json()
    assert set(plain["organization"]) == {"id", "name"}
    assert plain["line_items"] is None
    full = api.get(f"/api/v1/deals/{deal.pk}", {"expand": "organization,contact,owner,line_items"}).json()
    assert full["organization"]["website"] == deal.organization.website
    assert full["contact"]["email"] == "ann@example.com"
    assert full["owner"]["username"] == "alice" and full["owner"]["team"]["name"] == "North"
    assert full["line_items"][0]["net_amount"] == {"amount": "200.00", "currency": "EUR"}
    listed = api.get("/api/v1/deals/", {"expand": "owner,line_items"}).json()["results"][0]
    assert listed["owner"]["role"] == "rep" and listed["line_items"][0]["label"] == "Set-up"


def _list_queries(user, params):
    api = ApiClient(user)
    api.get("/api/v1/deals/", params)  # warm-up: token and session caches
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/deals/", params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("expand", ["", "organization,contact,owner,line_items"])
def test_the_list_costs_the_same_queries_for_3_and_for_30_deals(rep, stages, expand):
    params = {"expand": expand, "page_size": 50} if expand else {}

    def make(n):
        for _ in range(n):
            deal = factories.DealFactory(owner=rep, stage=stages[0], contact=factories.ContactFactory())
            DealProduct.objects.create(deal=deal, description="Line", unit_price=Decimal("10"))

    make(3)
    few = _list_queries(rep, params)
    make(27)
    assert _list_queries(rep, params) == few


def test_reading_a_deal_with_every_expand_costs_a_fixed_number_of_queries(rep, deal):
    for _ in range(3):
        DealProduct.objects.create(deal=deal, product=factories.ProductFactory(), unit_price=Decimal("10"))
    api = ApiClient(rep)
    params = {"expand": "organization,contact,owner,line_items"}
    api.get(f"/api/v1/deals/{deal.pk}", params)
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/deals/{deal.pk}", params).status_code == 200
    # the token, the deal with every join, its line items
    assert len(queries) == 3, [q["sql"] for q in queries]
    assert sum("deals_dealproduct" in q["sql"] for q in queries) == 1


def test_a_deal_outside_the_scope_is_404(outsider, deal):
    is_problem(ApiClient(outsider).get(f"/api/v1/deals/{deal.pk}"), 404)


# --- create -------------------------------------------------------------------------------------


def test_create_makes_an_open_deal_owned_by_the_caller_at_the_top_of_the_stage(rep, stages):
    response = ApiClient(rep).post(
        "/api/v1/deals/",
        {
            "title": "Globex expansion",
            "stage_id": stages[1].pk,
            "value": "12500.50",
            "organization_name": "Globex AG",
            "expected_close_date": "2027-03-31",
            "probability": 40,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == rep.pk and body["status"] == "open" and body["version"] == 1
    assert body["value"] == {"amount": "12500.50", "currency": "EUR"}
    assert body["organization"]["name"] == "Globex AG" and body["probability"] == 40
    assert StageChange.objects.filter(deal_id=body["id"], kind=StageChange.Kind.CREATED).count() == 1


def test_create_with_an_organization_and_contact_by_id(rep, stages):
    organization = factories.OrganizationFactory(owner=rep)
    contact = factories.ContactFactory(organization=organization, owner=rep)
    response = ApiClient(rep).post(
        "/api/v1/deals/",
        {"title": "Pilot", "stage_id": stages[0].pk, "organization_id": organization.pk, "contact_id": contact.pk},
    )
    assert response.status_code == 201, response.content
    assert response.json()["contact"]["id"] == contact.pk


def test_create_validates_as_the_new_deal_form(rep, stages):
    body = is_problem(
        ApiClient(rep).post("/api/v1/deals/", {"title": "", "stage_id": 10**12, "value": "-5", "probability": 120}),
        422,
    )
    fields = {error["field"] for error in body["errors"]}
    assert {"title", "stage_id", "value", "probability"} <= fields


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "x", "stage_id": "abc"},
        {"title": "x", "stage_id": 2**70},
        {"title": "x", "value": "1e999999"},
        {"title": "x", "value": "NaN"},
        {"title": ["x"]},
        {"title": "x", "expected_close_date": "2027-02-30"},
        {"title": "x", "owner_id": 2**62},
        {"title": "x", "contact_id": 2**62},
    ],
)
def test_bad_input_on_create_is_a_422_not_a_500(rep, stages, payload):
    payload = {"stage_id": stages[0].pk, **payload}
    is_problem(ApiClient(rep).post("/api/v1/deals/", payload), 422)


def test_a_contact_of_another_organization_is_refused(rep, stages):
    organization = factories.OrganizationFactory(owner=rep)
    contact = factories.ContactFactory(organization=factories.OrganizationFactory(owner=rep), owner=rep)
    body = is_problem(
        ApiClient(rep).post(
            "/api/v1/deals/",
            {"title": "x", "stage_id": stages[0].pk, "organization_id": organization.pk, "contact_id": contact.pk},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "contact_id"


def test_a_rep_may_not_create_a_deal_for_a_teammate_but_a_manager_may(rep, teammate, manager, stages):
    payload = {"title": "For Bob", "stage_id": stages[0].pk, "owner_id": teammate.pk}
    is_problem(ApiClient(rep).post("/api/v1/deals/", payload), 403)
    response = ApiClient(manager).post("/api/v1/deals/", payload)
    assert response.status_code == 201 and response.json()["owner"]["id"] == teammate.pk


def test_an_owner_outside_the_scope_is_an_unknown_choice(manager, outsider, stages):
    payload = {"title": "x", "stage_id": stages[0].pk, "owner_id": outsider.pk}
    body = is_problem(ApiClient(manager).post("/api/v1/deals/", payload), 422)
    assert body["errors"][0]["field"] == "owner_id"


# --- change -------------------------------------------------------------------------------------


def test_patch_changes_the_fields_sent_and_bumps_the_version(rep, deal):
    response = ApiClient(rep).patch(
        f"/api/v1/deals/{deal.pk}", {"version": 1, "title": "Acme rollout 2", "expected_close_date": "2027-01-15"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["expected_close_date"], body["version"]) == ("Acme rollout 2", "2027-01-15", 2)
    assert body["organization"]["id"] == deal.organization_id  # unchanged
    assert deal.close_date_changes.count() == 1


def test_patch_with_null_clears_an_optional_field(rep, deal):
    response = ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "organization_id": None})
    assert response.status_code == 200, response.content
    assert response.json()["organization"] is None


def test_a_stale_patch_is_409_with_the_current_version(rep, deal):
    Deal.objects.filter(pk=deal.pk).update(version=3)
    body = is_problem(ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}", {"version": 2, "title": "x"}), 409)
    assert body["current_version"] == 3
    deal.refresh_from_db()
    assert deal.title == "Acme rollout"


def test_patch_validates_as_the_deal_page(rep, deal):
    body = is_problem(ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "probability": 101}), 422)
    assert body["errors"][0]["field"] == "probability"
    is_problem(ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}", {"title": "no version"}), 422)


def test_a_teammate_sees_the_deal_but_may_not_change_it(teammate, deal):
    api = ApiClient(teammate)
    assert api.get(f"/api/v1/deals/{deal.pk}").status_code == 200
    is_problem(api.patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "title": "x"}), 403)
    is_problem(api.post(f"/api/v1/deals/{deal.pk}/win", {"version": 1}), 403)
    is_problem(ApiClient(teammate).post(f"/api/v1/deals/{deal.pk}/line-items", {"description": "x"}), 403)


def test_an_outsider_gets_404_on_every_change(outsider, deal):
    api = ApiClient(outsider)
    is_problem(api.patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "title": "x"}), 404)
    is_problem(api.post(f"/api/v1/deals/{deal.pk}/win", {"version": 1}), 404)
    is_problem(api.get(f"/api/v1/deals/{deal.pk}/line-items"), 404)


def test_a_rep_may_not_hand_their_deal_on_a_manager_may(rep, teammate, manager, deal):
    is_problem(ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "owner_id": teammate.pk}), 403)
    response = ApiClient(manager).patch(f"/api/v1/deals/{deal.pk}", {"version": 1, "owner_id": teammate.pk})
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == teammate.pk


# --- move and outcomes --------------------------------------------------------------------------


def test_move_accepts_an_index_in_the_column(rep, stages):
    column = [factories.DealFactory(owner=rep, stage=stages[1], position=float(i)) for i in range(3)]
    deal = factories.DealFactory(owner=rep, stage=stages[0])
    response = ApiClient(rep).post(
        f"/api/v1/deals/{deal.pk}/move", {"stage_id": stages[1].pk, "version": 1, "index": 1}
    )
    assert response.status_code == 200, response.content
    order = list(Deal.objects.filter(stage=stages[1]).order_by("position").values_list("pk", flat=True))
    assert order == [column[0].pk, deal.pk, column[1].pk, column[2].pk]


def test_win_then_reopen(rep, deal):
    api = ApiClient(rep)
    won = api.post(f"/api/v1/deals/{deal.pk}/win", {"version": 1})
    assert won.status_code == 200 and won.json()["status"] == "won" and won.json()["won_at"]
    is_problem(api.post(f"/api/v1/deals/{deal.pk}/win", {"version": 2}), 400)
    reopened = api.post(f"/api/v1/deals/{deal.pk}/reopen", {"version": 2})
    assert reopened.json()["status"] == "open" and reopened.json()["version"] == 3


def test_lose_needs_an_active_reason_and_records_it(rep, deal, reason):
    api = ApiClient(rep)
    body = is_problem(api.post(f"/api/v1/deals/{deal.pk}/lose", {"version": 1, "reason_id": 10**9}), 422)
    assert body["errors"][0]["field"] == "reason_id"
    response = api.post(f"/api/v1/deals/{deal.pk}/lose", {"version": 1, "reason_id": reason.pk, "note": "Too dear"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "lost" and body["lost_reason"] == {"id": reason.pk, "name": "Price too high"}
    assert body["lost_note"] == "Too dear"


def test_a_stale_win_is_409(rep, deal):
    Deal.objects.filter(pk=deal.pk).update(version=2)
    assert is_problem(ApiClient(rep).post(f"/api/v1/deals/{deal.pk}/win", {"version": 1}), 409)["current_version"] == 2


def test_there_is_no_delete(rep, deal):
    assert ApiClient(rep).delete(f"/api/v1/deals/{deal.pk}").status_code == 405
    assert Deal.objects.filter(pk=deal.pk).exists()


# --- line items ---------------------------------------------------------------------------------


def test_line_items_add_change_remove_and_the_value_follows(rep, deal):
    Deal.objects.filter(pk=deal.pk).update(value_follows_line_items=True)
    product = factories.ProductFactory(name="Licence", unit_price=Decimal("500"), vat_rate=Decimal("19"))
    api = ApiClient(rep)
    added = api.post(f"/api/v1/deals/{deal.pk}/line-items", {"product_id": product.pk, "quantity": "3"})
    assert added.status_code == 201, added.content
    line = added.json()["line_item"]
    assert line["unit_price"]["amount"] == "500.00" and line["vat_rate"] == "19.00"
    assert added.json()["deal"] == {"id": deal.pk, "value": {"amount": "1500.00", "currency": "EUR"}, "version": 2}
    changed = api.patch(f"/api/v1/deals/{deal.pk}/line-items/{line['id']}", {"discount_percent": "10"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["line_item"]["quantity"] == "3"
    assert changed.json()["deal"]["value"]["amount"] == "1350.00"
    listed = api.get(f"/api/v1/deals/{deal.pk}/line-items").json()
    assert [item["id"] for item in listed["results"]] == [line["id"]]
    assert listed["net"]["amount"] == "1350.00" and listed["gross"]["amount"] == "1606.50"
    assert api.delete(f"/api/v1/deals/{deal.pk}/line-items/{line['id']}").status_code == 204
    deal.refresh_from_db()
    assert deal.value == 0 and deal.version == 4


def test_a_line_item_is_validated_as_the_deal_page(rep, deal):
    api = ApiClient(rep)
    body = is_problem(api.post(f"/api/v1/deals/{deal.pk}/line-items", {"quantity": "0"}), 422)
    assert {"quantity", "description", "unit_price"} <= {error["field"] for error in body["errors"]}
    inactive = factories.ProductFactory(is_active=False)
    body = is_problem(api.post(f"/api/v1/deals/{deal.pk}/line-items", {"product_id": inactive.pk}), 422)
    assert body["errors"][0]["field"] == "product_id"


def test_a_product_twice_on_a_deal_is_refused_with_400(rep, deal):
    product = factories.ProductFactory()
    api = ApiClient(rep)
    assert api.post(f"/api/v1/deals/{deal.pk}/line-items", {"product_id": product.pk}).status_code == 201
    is_problem(api.post(f"/api/v1/deals/{deal.pk}/line-items", {"product_id": product.pk}), 400)


def test_a_line_item_of_another_deal_is_404(rep, deal, stages):
    other = factories.DealFactory(owner=rep, stage=stages[0])
    line = DealProduct.objects.create(deal=other, description="x", unit_price=Decimal("1"))
    is_problem(ApiClient(rep).patch(f"/api/v1/deals/{deal.pk}/line-items/{line.pk}", {"quantity": "2"}), 404)
    is_problem(ApiClient(rep).delete(f"/api/v1/deals/{deal.pk}/line-items/{line.pk}"), 404)


def test_an_unknown_expand_is_a_422(rep):
    body = is_problem(ApiClient(rep).get("/api/v1/deals/", {"expand": "owner,nonsense"}), 422)
    assert body["errors"][0]["field"] == "expand" and "nonsense" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deals/{big}",
        "/api/v1/deals/{big}/line-items",
        "/api/v1/products/{big}",
        "/api/v1/users/{big}",
        "/api/v1/teams/{big}",
        "/api/v1/pipelines/{big}",
    ],
)
def test_an_id_beyond_any_column_is_404_not_500(rep, path):
    is_problem(ApiClient(rep).get(path.format(big=2**70)), 404)


def test_the_webhook_representation_is_the_plain_read_without_expands(rep, deal):
    from api.resources import deals as _deals  # noqa: F401  (registers the reader)
    from events import representations

    body = representations.represent("deal", deal.pk, user=rep)
    assert body["owner"] == {"id": rep.pk, "name": "Alice Adams"} and body["line_items"] is None
    assert set(body) == set(ApiClient(rep).get(f"/api/v1/deals/{deal.pk}").json())
