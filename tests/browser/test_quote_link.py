"""The customer opens the quote link in a browser of their own (no CRM session), reads the offer
in German, is stopped by the form when the confirmation is missing, accepts, and sees the
confirmation; the rep then finds the deal won with the quote's net total. No CSP violation and no
JavaScript error on the way, with DEBUG off and on."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from quotes.models import Quote
from tests import factories
from tests.browser.test_csp import Recorder
from tests.quotes.public_cast import TOKEN, reset_link_counters, sent_quote


@pytest.fixture
def offer(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reset_link_counters()
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    stages = factories.default_stages()
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams")
    organization = factories.OrganizationFactory(name="Kunde AG")
    contact = factories.ContactFactory(organization=organization, first_name="Klara", last_name="Kunde")
    deal = factories.DealFactory(
        owner=rep, stage=stages[4], title="Kunde AG rollout", organization=organization, contact=contact
    )
    yield sent_quote(deal)
    reset_link_counters()


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_customer_accepts_in_the_browser_and_the_rep_sees_the_deal_won(
    browser, live_server, login, offer, settings, debug
):
    settings.DEBUG = debug
    customer = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    recorder = Recorder(page)
    response = page.goto(f"{live_server.url}/q/{TOKEN}/")
    assert response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_test_id("quote-title")).to_have_text("Angebot Rollout")
    expect(page.get_by_test_id("quote-net")).to_have_text("130,39 EUR")

    page.get_by_label("Ihr vollständiger Name").first.fill("Klara Kunde")
    page.get_by_test_id("accept-button").click()
    # The checkbox is required: the browser keeps the form until it is ticked.
    expect(page.get_by_test_id("accept-form")).to_be_visible()
    page.get_by_label("Ich nehme dieses Angebot mit seinen Bedingungen an.").check()
    page.get_by_test_id("accept-button").click()
    expect(page.get_by_test_id("quote-state-message")).to_have_text("Dieses Angebot wurde angenommen. Vielen Dank.")
    expect(page.get_by_test_id("quote-answer")).to_contain_text("Klara Kunde")
    expect(page.get_by_test_id("accept-form")).to_have_count(0)
    page.reload()  # the confirmation was a GET: reloading posts nothing again
    expect(page.get_by_test_id("quote-state-message")).to_be_visible()
    assert not recorder.problems, recorder.problems
    customer.close()

    offer.refresh_from_db()
    assert offer.state == Quote.State.ACCEPTED
    rep_page = login(browser.new_context(locale="en-GB").new_page(), offer.deal.owner)
    rep_page.goto(f"{live_server.url}/deals/{offer.deal_id}/")
    expect(rep_page.get_by_test_id("deal-status")).to_have_text("Won")
    expect(rep_page.get_by_test_id("deal-value")).to_contain_text("130.39")
    assert offer.deal.__class__.objects.get(pk=offer.deal_id).value == Decimal("130.39")
