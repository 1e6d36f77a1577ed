"""The product catalogue: everyone reads it; admins create, change and (de)activate products."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Product
from tests import factories
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db


def test_everyone_reads_the_active_products_and_all_on_request(rep, db):
    active = factories.ProductFactory(name="Licence", unit_price=Decimal("500"), vat_rate=Decimal("19"))
    inactive = factories.ProductFactory(name="Old", is_active=False)
    api = ApiClient(rep)
    listed = api.get("/api/v1/products/").json()["results"]
    assert [row["id"] for row in listed] == [active.pk]
    assert listed[0]["unit_price"] == {"amount": "500.00", "currency": "EUR"} and listed[0]["vat_rate"] == "19.00"
    assert {row["id"] for row in api.get("/api/v1/products/", {"show": "all"}).json()["results"]} == {
        active.pk,
        inactive.pk,
    }
    assert api.get(f"/api/v1/products/{inactive.pk}").json()["is_active"] is False
    is_problem(api.get("/api/v1/products/", {"show": "some"}), 422)
    is_problem(api.get("/api/v1/products/999999999"), 404)


def test_products_page_with_the_cursor(rep, db):
    made = [factories.ProductFactory().pk for _ in range(5)]
    api = ApiClient(rep)
    first = api.get("/api/v1/products/", {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == sorted(made, reverse=True)


def test_the_product_list_costs_the_same_queries_for_3_and_for_30_products(rep, db):
    def count():
        api = ApiClient(rep)
        api.get("/api/v1/products/", {"page_size": 100})
        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/products/", {"page_size": 100})
        return len(queries)

    factories.ProductFactory.create_batch(3)
    few = count()
    factories.ProductFactory.create_batch(27)
    assert count() == few


def test_an_admin_creates_changes_and_deactivates_a_product(admin):
    api = ApiClient(admin)
    created = api.post(
        "/api/v1/products/", {"name": "  Onboarding   day ", "unit": "day", "unit_price": "1200", "vat_rate": "19"}
    )
    assert created.status_code == 201, created.content
    product_id = created.json()["id"]
    assert created.json()["name"] == "Onboarding day"
    changed = api.patch(f"/api/v1/products/{product_id}", {"unit_price": "1350.5"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["unit_price"]["amount"] == "1350.50" and changed.json()["unit"] == "day"
    off = api.post(f"/api/v1/products/{product_id}/active", {"active": False})
    assert off.json()["is_active"] is False
    assert api.post(f"/api/v1/products/{product_id}/active", {"active": True}).json()["is_active"] is True


def test_others_get_403_on_every_catalogue_change(rep, manager):
    product = factories.ProductFactory()
    for user in (rep, manager):
        api = ApiClient(user)
        body = is_problem(api.post("/api/v1/products/", {"name": "X", "unit_price": "1"}), 403)
        assert "admins" in body["detail"]
        is_problem(api.patch(f"/api/v1/products/{product.pk}", {"unit_price": "2"}), 403)
        is_problem(api.post(f"/api/v1/products/{product.pk}/active", {"active": False}), 403)
    product.refresh_from_db()
    assert product.is_active and product.unit_price == Decimal("1000")


def test_product_input_is_validated_as_the_products_page(admin):
    factories.ProductFactory(name="Licence")
    api = ApiClient(admin)
    body = is_problem(api.post("/api/v1/products/", {"name": "Licence", "unit_price": "-1", "vat_rate": "101"}), 422)
    assert {"name", "unit_price", "vat_rate"} <= {error["field"] for error in body["errors"]}
    for bad in ({"name": "X", "unit_price": "NaN"}, {"name": "X", "unit_price": "1e99999"}, {"name": "X"}):
        is_problem(api.post("/api/v1/products/", bad), 422)
    assert not Product.objects.filter(name="X").exists()


def test_a_read_token_may_not_change_the_catalogue(admin):
    from api.models import ApiToken

    is_problem(
        ApiClient(admin, scope=ApiToken.Scope.READ).post("/api/v1/products/", {"name": "X", "unit_price": "1"}), 403
    )
