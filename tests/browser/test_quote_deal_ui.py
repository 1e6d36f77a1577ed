"""A quote from its first line to the customer's signature, in real Chromium: the rep makes a draft
from the deal's panel, adds a line with a 25 % discount (the totals follow by htmx), asks for
approval; the team's manager approves on the quote page; the rep sends the quote and sees the
customer's link once; the customer opens the link in a browser of their own (no session, no
cookies of the CRM) and accepts; the rep finds the deal won with the quote's net total."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from deals import defaults
from deals.models import DealProduct, LostReason, Pipeline, Stage
from quotes.models import Quote
from tests import factories


@pytest.fixture
def cast(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    manager = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role=User.Role.MANAGER)
    north.managers.add(manager)
    deal = factories.DealFactory(owner=rep, stage=factories.default_stages()[4], title="Rollout", contact=None)
    deal.contact = factories.ContactFactory(organization=deal.organization, email="kim@customer.example")
    deal.save()
    DealProduct.objects.create(
        deal=deal, description="Consulting", quantity=Decimal("3"), unit="day", unit_price=Decimal("1000"), vat_rate=19
    )
    return rep, manager, deal


def test_rep_builds_a_quote_the_manager_approves_the_rep_sends_it_and_the_customer_accepts_it(
    page, browser, live_server, login, cast, queued_quote_mails
):
    rep, manager, deal = cast
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.get_by_test_id("quote-new").click()
    expect(page.get_by_test_id("quote-number")).to_have_text("Draft")
    expect(page.get_by_test_id("quote-net")).to_have_text("3,000.00")

    add = page.get_by_test_id("quote-line-add")
    add.get_by_label("Description").fill("Licence")
    add.get_by_label("Quantity").fill("4")
    add.get_by_label("Unit price").fill("250")
    add.get_by_label("Discount %").fill("25")
    add.get_by_label("VAT %").select_option("19")
    add.get_by_role("button", name="Add line").click()
    # 3000 + 4 × 250 less 25 % = 3750.00 net; VAT 712.50; the discount is above the 10 % limit.
    expect(page.get_by_test_id("quote-net")).to_have_text("3,750.00")
    expect(page.get_by_test_id("quote-gross")).to_have_text("4,462.50")
    expect(page.get_by_test_id("quote-needs-approval")).to_be_visible()
    page.get_by_label("Note to the approver").fill("Strategic customer")
    page.get_by_test_id("quote-request-approval").click()
    expect(page.get_by_test_id("quote-state")).to_have_text("Awaiting approval")
    quote = Quote.objects.get(deal=deal)

    manager_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    manager_page = login(manager_context.new_page(), manager)
    manager_page.goto(f"{live_server.url}/quotes/approvals/")
    manager_page.get_by_role("link", name="Review").click()
    manager_page.get_by_test_id("quote-approve").click()
    expect(manager_page.get_by_test_id("quote-approved")).to_be_visible()
    manager_context.close()

    page.reload()
    expect(page.get_by_test_id("quote-approved")).to_be_visible()
    page.get_by_test_id("quote-send-toggle").click()
    form = page.get_by_test_id("quote-send-form")
    expect(form.get_by_label("To")).to_have_value("kim@customer.example")
    form.get_by_role("button", name="Send the quote").click()
    link = page.get_by_test_id("quote-link-input")
    expect(link).to_have_value(f"{live_server.url}/q/{queued_quote_mails[0]['token']}/")
    expect(page.get_by_test_id("quote-new-link")).to_contain_text("The link was e-mailed to kim@customer.example")
    quote.refresh_from_db()
    expect(page.get_by_test_id("quote-number")).to_have_text(quote.number)
    assert quote.state == Quote.State.SENT
    customer_link = link.input_value()

    # The customer: another browser context, as on another computer.
    customer_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    customer = customer_context.new_page()
    customer.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    customer.goto(customer_link)
    expect(customer.get_by_test_id("quote-number")).to_have_text(quote.number)
    expect(customer.get_by_test_id("quote-net")).to_have_text("3,750.00 EUR")
    expect(customer.get_by_test_id("quote-gross")).to_have_text("4,462.50 EUR")
    accept = customer.get_by_test_id("accept-form")
    accept.get_by_role("textbox").fill("Kim Kunde")
    accept.get_by_role("checkbox").check()
    customer.get_by_test_id("accept-button").click()
    expect(customer.get_by_test_id("quote-answer")).to_contain_text("Kim Kunde")
    expect(customer.get_by_test_id("accept-form")).to_have_count(0)
    customer_context.close()

    # The rep: the deal is won with the accepted quote's net total, the quote accepted.
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_test_id("deal-status")).to_have_text("Won")
    expect(page.get_by_test_id("deal-value")).to_contain_text("3,750.00")
    expect(page.get_by_test_id("quotes-panel-body").get_by_test_id("quote-state")).to_have_text("Accepted")
    quote.refresh_from_db()
    assert quote.state == Quote.State.ACCEPTED and quote.response.name == "Kim Kunde"
    assert quote.response.pdf_sha256 == quote.pdf_sha256
    assert not errors, errors
