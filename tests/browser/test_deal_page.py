"""The full deal page in real Chromium: an organization and a contact created from the page and
set on the deal; two line items added and the deal value following their net total."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Contact, Organization
from deals import defaults, services
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def rep_deal(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    stages = factories.default_stages()
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Rollout", organization=None, value=Decimal("0"))
    factories.ProductFactory(name="Licence", unit="licence", unit_price=Decimal("120.00"), vat_rate=19)
    return rep, deal


def console_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def test_create_an_organization_and_a_contact_from_the_deal_page(page, live_server, login, rep_deal):
    rep, deal = rep_deal
    errors = console_errors(page)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    page.get_by_test_id("new-organization-toggle").click()
    form = page.get_by_test_id("new-organization-form")
    form.get_by_label("Name").fill("Nordlicht GmbH")
    form.get_by_role("button", name="Create and set on this deal").click()
    expect(page.get_by_test_id("deal-organization")).to_have_text("Nordlicht GmbH")
    expect(page.locator("#id_organization option:checked")).to_have_text("Nordlicht GmbH")

    page.get_by_test_id("new-contact-toggle").click()
    form = page.get_by_test_id("new-contact-form")
    expect(form).to_contain_text("A person at Nordlicht GmbH.")
    form.get_by_label("First name").fill("Jana")
    form.get_by_label("Last name").fill("Berg")
    form.get_by_label("E-mail", exact=True).fill("jana@nordlicht.example")
    form.get_by_role("button", name="Create and set on this deal").click()
    expect(page.get_by_test_id("deal-contact")).to_have_text("Jana Berg")
    expect(page.locator("#id_contact option:checked")).to_have_text("Jana Berg")

    # The form's version followed the two changes: saving it now is not refused as stale.
    page.get_by_label("Notes").fill("Met at the fair.")
    page.get_by_test_id("deal-save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    deal.refresh_from_db()
    organization = Organization.objects.get(name="Nordlicht GmbH")
    assert (deal.organization, deal.contact) == (organization, Contact.objects.get(organization=organization))
    assert deal.notes == "Met at the fair."
    assert not errors, errors


def test_add_two_line_items_and_see_the_deal_value_follow(page, live_server, login, rep_deal):
    rep, deal = rep_deal
    services.deal_update(deal_id=deal.pk, version=deal.version, actor=rep, value_follows_line_items=True)
    errors = console_errors(page)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    value = page.get_by_test_id("deal-value")
    expect(value).to_have_text("0.00 EUR")

    add = page.get_by_test_id("line-item-add")
    add.get_by_label("Product").select_option(label="Licence")
    add.get_by_label("Quantity").fill("3")
    add.get_by_test_id("line-add").click()
    expect(page.get_by_test_id("line-item")).to_have_count(1)
    expect(value).to_have_text("360.00 EUR")

    add = page.get_by_test_id("line-item-add")
    add.get_by_label("Description").fill("Onboarding workshop")
    add.get_by_label("Quantity").fill("2")
    add.get_by_label("Unit", exact=True).fill("day")
    add.get_by_label("Unit price").fill("950")
    add.get_by_label("Discount %").fill("10")
    add.get_by_label("VAT %").fill("19")
    add.get_by_test_id("line-add").click()
    expect(page.get_by_test_id("line-item")).to_have_count(2)
    expect(value).to_have_text("2,070.00 EUR")  # 360 + 2 × 950 less 10 %
    expect(page.get_by_test_id("total-gross")).to_have_text("2,463.30")

    page.get_by_test_id("line-item").first.get_by_test_id("line-remove").click()
    expect(page.get_by_test_id("line-item")).to_have_count(1)
    expect(value).to_have_text("1,710.00 EUR")
    assert Deal.objects.get(pk=deal.pk).value == Decimal("1710.00")
    assert not errors, errors


def test_an_invalid_line_item_shows_its_errors_in_place(page, live_server, login, rep_deal):
    rep, deal = rep_deal
    errors = console_errors(page)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    add = page.get_by_test_id("line-item-add")
    add.get_by_label("Description").fill("Consulting")
    add.get_by_test_id("line-add").click()
    expect(page.get_by_test_id("line-item-add")).to_contain_text("Enter a unit price.")
    expect(page.get_by_test_id("page-message")).to_contain_text("The line item was not saved")
    expect(page.get_by_test_id("line-item-add").get_by_label("Description")).to_have_value("Consulting")
    assert page.url.endswith(f"/deals/{deal.pk}/")
    assert not [e for e in errors if "400" not in e], errors
