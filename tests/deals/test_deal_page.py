"""The full deal page: the form with customer pickers, notes and the value switch; line items
added, changed and removed (htmx and without JavaScript); organizations and contacts created
from the page; the products page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Contact, Organization
from deals import services
from deals.models import DealProduct, Product
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def deal(rep, stages):
    organization = factories.OrganizationFactory(name="Acme GmbH")
    return factories.DealFactory(
        owner=rep, stage=stages[0], title="Acme rollout", organization=organization, value=Decimal("500")
    )


@pytest.fixture
def licence(db):
    return factories.ProductFactory(name="Licence", unit="licence", unit_price=Decimal("120.00"), vat_rate=19)


def url(name, deal, *args):
    return reverse(f"deals:{name}", args=[deal.pk, *args])


def form_data(deal, **changes):
    return {
        "title": deal.title,
        "organization": deal.organization_id or "",
        "contact": deal.contact_id or "",
        "value": str(deal.value),
        "expected_close_date": deal.expected_close_date.isoformat(),
        "probability": "",
        "notes": deal.notes,
        "version": deal.version,
        **changes,
    }


def line_data(prefix="new_line", **fields):
    data = {"product": "", "description": "", "quantity": "1", "unit": "", "unit_price": "", "discount_percent": "0"}
    data.update({"vat_rate": "", **fields})
    return {f"{prefix}-{name}": value for name, value in data.items()}


# --- the form ---------------------------------------------------------------------------------


def test_page_shows_currency_line_items_and_totals(client, rep, deal, licence):
    services.deal_line_item_add(deal_id=deal.pk, actor=rep, product=licence, quantity=2)
    client.force_login(rep)
    page = client.get(url("detail", deal)).content.decode()
    assert "EUR" in page
    assert 'data-testid="line-items"' in page
    assert 'data-testid="total-net">240.00<' in page
    assert 'data-testid="total-vat">45.60<' in page
    assert 'data-testid="total-gross">285.60<' in page
    assert 'name="notes"' in page and 'name="value_follows_line_items"' in page


def test_teammate_sees_line_items_without_forms(client, teammate, rep, deal, licence):
    services.deal_line_item_add(deal_id=deal.pk, actor=rep, product=licence, quantity=1)
    client.force_login(teammate)
    page = client.get(url("detail", deal)).content.decode()
    assert "Licence" in page
    assert 'data-testid="line-item-add"' not in page
    assert 'data-testid="new-organization-form"' not in page


def test_form_saves_contact_notes_and_the_switch(client, rep, deal, licence):
    contact = factories.ContactFactory(organization=deal.organization, last_name="Meyer")
    services.deal_line_item_add(deal_id=deal.pk, actor=rep, product=licence, quantity=1)
    deal.refresh_from_db()
    client.force_login(rep)
    response = client.post(
        url("detail", deal),
        form_data(deal, contact=contact.pk, notes="Call after the fair", value_follows_line_items="on"),
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.contact, deal.notes, deal.value_follows_line_items) == (contact, "Call after the fair", True)
    assert deal.value == Decimal("120.00")


def test_form_refuses_an_organization_the_user_does_not_see(client, rep, outsider, deal):
    hidden = factories.OrganizationFactory(name="Hidden AG", owner=outsider)
    factories.DealFactory(owner=outsider, organization=hidden)
    client.force_login(rep)
    response = client.post(url("detail", deal), form_data(deal, organization=hidden.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "errorlist" in page and "The deal was not saved" in page
    deal.refresh_from_db()
    assert deal.organization.name == "Acme GmbH"


def test_form_refuses_a_contact_of_another_organization(client, rep, deal):
    other = factories.OrganizationFactory(name="Other KG", owner=rep)
    contact = factories.ContactFactory(organization=other, last_name="Schmidt", owner=rep)
    client.force_login(rep)
    response = client.post(url("detail", deal), form_data(deal, contact=contact.pk))
    assert response.status_code == 400
    assert "works for another organization" in response.content.decode()


def test_customer_options_search_only_what_the_user_sees(client, rep, outsider, deal):
    factories.DealFactory(owner=outsider, organization=factories.OrganizationFactory(name="Acme Secret"))
    factories.OrganizationFactory(name="Acme Own", owner=rep)
    client.force_login(rep)
    response = client.get(url("customer_options", deal), {"kind": "organization", "q": "acme"}, headers=HTMX)
    options = response.content.decode()
    assert response.status_code == 200
    assert "Acme GmbH" in options and "Acme Own" in options
    assert "Acme Secret" not in options


def test_customer_options_list_the_contacts_of_the_chosen_organization(client, rep, deal):
    factories.ContactFactory(organization=deal.organization, last_name="Meyer")
    client.force_login(rep)
    response = client.get(url("customer_options", deal), {"kind": "contact", "organization": deal.organization_id})
    assert "Meyer" in response.content.decode()
    assert client.get(url("customer_options", deal), {"kind": "deal"}).status_code == 400


# --- line items -------------------------------------------------------------------------------


def test_add_a_line_item_with_htmx_answers_the_list_header_and_version(client, rep, deal, licence):
    client.force_login(rep)
    data = {**line_data(product=licence.pk, quantity="3"), "version": deal.version}
    response = client.post(url("line_item_add", deal), data, headers=HTMX)
    assert response.status_code == 200
    part = response.content.decode()
    assert 'id="line-items"' in part and "Licence" in part
    assert 'id="deal-header" hx-swap-oob="true"' in part
    assert 'name="version" value="2" id="id_version" hx-swap-oob="true"' in part
    assert "<html" not in part
    assert DealProduct.objects.get(deal=deal).net_amount == Decimal("360.00")


def test_a_page_with_an_older_version_keeps_it_after_a_line_change(client, rep, deal, licence):
    """Someone else changed the deal: the form's version must stay old, so its save is refused."""
    services.deal_update(deal_id=deal.pk, version=1, actor=rep, title="Changed elsewhere")
    client.force_login(rep)
    response = client.post(url("line_item_add", deal), {**line_data(product=licence.pk), "version": 1}, headers=HTMX)
    assert response.status_code == 200
    assert 'id="id_version" hx-swap-oob="true"' not in response.content.decode()


def test_value_follows_the_line_items_through_the_page(client, rep, deal, licence):
    deal = services.deal_update(deal_id=deal.pk, version=1, actor=rep, value_follows_line_items=True)
    client.force_login(rep)
    client.post(url("line_item_add", deal), line_data(product=licence.pk, quantity="2"), headers=HTMX)
    response = client.post(
        url("line_item_add", deal),
        line_data(description="Workshop", quantity="1", unit_price="1000", discount_percent="12.5"),
        headers=HTMX,
    )
    assert 'data-testid="deal-value">1,115.00 EUR<' in response.content.decode()
    deal.refresh_from_db()
    assert deal.value == Decimal("1115.00")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"quantity": "-2", "description": "X", "unit_price": "1"}, "greater than or equal to 0.001"),
        ({"discount_percent": "120", "description": "X", "unit_price": "1"}, "less than or equal to 100"),
        ({"vat_rate": "150", "description": "X", "unit_price": "1"}, "less than or equal to 100"),
        ({"unit_price": "-1", "description": "X"}, "greater than or equal to 0"),
        ({"quantity": "1"}, "Choose a product or describe the line item."),
        ({"description": "Consulting"}, "Enter a unit price."),
        ({"quantity": "lots", "description": "X", "unit_price": "1"}, "Enter a number."),
    ],
)
def test_invalid_line_items_answer_400_with_messages(client, rep, deal, fields, error):
    client.force_login(rep)
    for headers in (HTMX, {}):
        response = client.post(url("line_item_add", deal), line_data(**fields), headers=headers)
        assert response.status_code == 400
        page = response.content.decode()
        assert error in page
        assert "The line item was not saved" in page
    assert not DealProduct.objects.exists()


def test_the_same_product_twice_answers_400(client, rep, deal, licence):
    services.deal_line_item_add(deal_id=deal.pk, actor=rep, product=licence)
    client.force_login(rep)
    response = client.post(url("line_item_add", deal), line_data(product=licence.pk), headers=HTMX)
    assert response.status_code == 400
    assert "already on the deal" in response.content.decode()


def test_edit_and_remove_a_line_item_without_javascript(client, rep, deal, licence):
    _, line, _ = services.deal_line_item_add(deal_id=deal.pk, actor=rep, product=licence)
    client.force_login(rep)
    prefix = f"line-{line.pk}"
    response = client.post(
        url("line_item_edit", deal, line.pk), line_data(prefix, product=licence.pk, quantity="4", unit_price="100")
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.quantity, line.net_amount) == (4, Decimal("400.00"))
    assert client.post(url("line_item_remove", deal, line.pk)).status_code == 302
    assert not DealProduct.objects.filter(pk=line.pk).exists()


def test_a_line_item_of_another_deal_is_not_found(client, rep, deal, licence):
    other = factories.DealFactory(owner=rep)
    _, line, _ = services.deal_line_item_add(deal_id=other.pk, actor=rep, product=licence)
    client.force_login(rep)
    assert client.post(url("line_item_remove", deal, line.pk)).status_code == 404
    assert DealProduct.objects.filter(pk=line.pk).exists()


@pytest.mark.parametrize(("viewer", "status"), [("teammate", 403), ("outsider", 404), ("manager", 200)])
def test_line_item_changes_per_role(client, request, deal, licence, viewer, status):
    client.force_login(request.getfixturevalue(viewer))
    response = client.post(url("line_item_add", deal), line_data(product=licence.pk), headers=HTMX)
    assert response.status_code == status
    assert DealProduct.objects.filter(deal=deal).exists() is (status == 200)


# --- new organization and contact from the deal page -----------------------------------------


def test_create_an_organization_and_a_contact_from_the_deal_page(client, rep, deal):
    client.force_login(rep)
    response = client.post(
        url("organization_new", deal), {"new_org-name": "  Neue   Kunde AG ", "version": deal.version}, headers=HTMX
    )
    assert response.status_code == 200
    part = response.content.decode()
    organization = Organization.objects.get(name="Neue Kunde AG")
    assert organization.owner == rep
    assert f'<option value="{organization.pk}" selected>Neue Kunde AG</option>' in part
    assert 'id="id_version" hx-swap-oob="true"' in part
    response = client.post(
        url("contact_new", deal),
        {"new_contact-first_name": "Jana", "new_contact-last_name": "Berg", "new_contact-email": "jana@neue.example"},
        headers=HTMX,
    )
    assert response.status_code == 200
    contact = Contact.objects.get(last_name="Berg")
    assert contact.organization == organization
    deal.refresh_from_db()
    assert (deal.organization, deal.contact) == (organization, contact)
    assert deal.version == 3


def test_new_customer_forms_answer_400_with_messages(client, rep, deal):
    client.force_login(rep)
    for headers in (HTMX, {}):
        response = client.post(url("organization_new", deal), {"new_org-name": ""}, headers=headers)
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        response = client.post(url("contact_new", deal), {"new_contact-email": "nope"}, headers=headers)
        assert response.status_code == 400
        assert "Enter a valid email address." in response.content.decode()
    assert not Organization.objects.exclude(pk=deal.organization_id).exists()


@pytest.mark.parametrize(("viewer", "status"), [("teammate", 403), ("outsider", 404)])
def test_new_customers_need_the_right_to_change_the_deal(client, request, deal, viewer, status):
    client.force_login(request.getfixturevalue(viewer))
    assert client.post(url("organization_new", deal), {"new_org-name": "Sneaky"}).status_code == status
    assert not Organization.objects.filter(name="Sneaky").exists()


# --- products page ---------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["rep", "manager", "admin"])
def test_everyone_reads_the_product_list(client, request, viewer, licence):
    Product.objects.create(name="Old thing", is_active=False)
    client.force_login(request.getfixturevalue(viewer))
    page = client.get(reverse("products:list")).content.decode()
    assert "Licence" in page and "Old thing" not in page
    assert "Old thing" in client.get(reverse("products:list"), {"show": "all"}).content.decode()
    assert ('data-testid="new-product"' in page) is (viewer == "admin")


@pytest.mark.parametrize("viewer", ["rep", "manager"])
def test_only_admins_change_products(client, request, viewer, licence):
    client.force_login(request.getfixturevalue(viewer))
    assert client.get(reverse("products:new")).status_code == 403
    assert client.post(reverse("products:edit", args=[licence.pk]), {"name": "Mine"}).status_code == 403
    assert client.post(reverse("products:active", args=[licence.pk]), {"active": "0"}).status_code == 403
    licence.refresh_from_db()
    assert licence.name == "Licence" and licence.is_active


def test_admin_creates_edits_and_deactivates_a_product(client, admin):
    client.force_login(admin)
    data = {"name": "Support", "sku": "SUP-1", "unit": "month", "unit_price": "49.90", "vat_rate": "19"}
    assert client.post(reverse("products:new"), {**data, "is_active": "on"}).status_code == 302
    product = Product.objects.get(name="Support")
    assert (product.unit, product.unit_price, product.is_active) == ("month", Decimal("49.90"), True)
    response = client.post(reverse("products:edit", args=[product.pk]), {**data, "unit_price": "59", "is_active": "on"})
    assert response.status_code == 302
    assert client.post(reverse("products:active", args=[product.pk]), {"active": "0"}).status_code == 302
    product.refresh_from_db()
    assert (product.unit_price, product.is_active) == (Decimal("59.00"), False)


@pytest.mark.parametrize(
    "changes",
    [{"unit_price": "-1"}, {"vat_rate": "101"}, {"name": ""}, {"name": "Licence"}],
)
def test_invalid_products_answer_400(client, admin, licence, changes):
    client.force_login(admin)
    data = {"name": "Support", "unit_price": "10", "vat_rate": "19", **changes}
    response = client.post(reverse("products:new"), data)
    assert response.status_code == 400
    assert "The product was not saved" in response.content.decode()


def test_unknown_products_are_not_found(client, admin):
    client.force_login(admin)
    assert client.get(reverse("products:edit", args=[999999])).status_code == 404


def test_the_deal_form_picks_a_price_list_and_the_products_page_shows_its_prices(client, rep, deal, licence):
    from deals.models import PriceList

    partners = PriceList.objects.create(name="Partners")
    partners.prices.create(product=licence, unit_price=Decimal("99"))
    PriceList.objects.create(name="Retired", is_active=False)
    client.force_login(rep)
    page = client.get(url("detail", deal)).content.decode()
    assert "Partners" in page and "Retired" not in page
    assert client.post(url("detail", deal), form_data(deal, price_list=partners.pk)).status_code == 302
    client.post(url("line_item_add", deal), line_data(product=licence.pk), headers=HTMX)
    assert DealProduct.objects.get(deal=deal).unit_price == Decimal("99.00")
    products = client.get(reverse("products:list")).content.decode()
    assert 'data-testid="price-list">Partners<' in products and "99.00" in products
