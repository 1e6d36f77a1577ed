"""A lead's whole way in real Chromium: public web form → owner finds, qualifies and
converts it → the deal is on the board."""

import re

import pytest
from playwright.sync_api import expect

from deals import defaults
from deals.models import Deal, LostReason, Pipeline, Stage
from leads.models import Lead, WebFormSettings
from tests import factories


@pytest.fixture
def owner(transactional_db):
    # transactional_db flushes the tables after each test, the migrated rows included.
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    alice = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    WebFormSettings.objects.update_or_create(pk=1, defaults={"default_owner": alice})
    return alice


def test_web_lead_is_qualified_converted_and_lands_on_the_board(page, live_server, login, owner):
    # 1. A visitor fills the public form (no login).
    page.goto(f"{live_server.url}/forms/lead/?campaign=spring-webinar")
    page.get_by_label("First name").fill("Wendy")
    page.get_by_label("Last name").fill("Webber")
    page.get_by_label("Company").fill("Webber Logistics GmbH")
    page.locator("#id_email").fill("wendy@webber-logistics.example")
    page.get_by_label("Message").fill("We need a CRM for 40 sales people.")
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    lead = Lead.objects.get(email="wendy@webber-logistics.example")
    assert (lead.owner, lead.source, lead.campaign) == (owner, "web_form", "spring-webinar")

    # 2. The owner finds it in the lead list by searching.
    other = factories.LeadFactory(owner=owner, last_name="Otherlead")
    page.context.clear_cookies()
    login(page, owner)
    page.goto(f"{live_server.url}/leads/")
    expect(page.locator(f'tr[data-lead-id="{other.pk}"]')).to_be_visible()
    page.locator("main").get_by_role("searchbox").fill("Webber")
    row = page.locator(f'tr[data-lead-id="{lead.pk}"]')
    expect(page.locator(f'tr[data-lead-id="{other.pk}"]')).to_have_count(0)
    expect(row).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=Webber"))
    expect(page.get_by_test_id("export-link")).to_have_attribute("href", re.compile(r"/leads/export\.csv\?.*q=Webber"))
    row.get_by_role("link", name="Wendy Webber").click()
    expect(page.get_by_role("heading", name=re.compile("Wendy Webber"))).to_be_visible()

    # 3. Qualifies it: the score and its explanation update in place.
    qualification = page.locator("#qualification")
    qualification.get_by_label("Need").select_option(label="high")
    qualification.get_by_label("Budget").select_option(label="high")
    qualification.get_by_label("Decision authority").select_option(label="medium")
    qualification.get_by_label("Timing").select_option(label="medium")
    qualification.get_by_role("button", name="Save qualification").click()
    expect(page.get_by_test_id("lead-score")).to_have_text("85")
    expect(page.get_by_test_id("lead-band")).to_have_text("hot")
    expect(page.get_by_test_id("score-breakdown")).to_contain_text("need: high → 30 of 30 points")

    for status in ("Contacted", "Qualified"):
        page.get_by_label("New status").select_option(label=status)
        page.get_by_role("button", name="Change status").click()
        expect(page.get_by_test_id("lead-status")).to_have_text(status)

    # 4. Converts it into a deal.
    page.get_by_role("link", name="Convert to deal").click()
    page.get_by_label("Value").fill("48000")
    page.get_by_role("button", name="Convert").click()
    expect(page).to_have_url(re.compile(r"/deals/\d+/"))
    deal = Deal.objects.get(source_lead=lead)
    assert (deal.owner, deal.value, deal.organization.name) == (owner, 48000, "Webber Logistics GmbH")

    # 5. The deal is on the board, in the first column.
    page.goto(f"{live_server.url}/board/")
    first_stage = Stage.objects.filter(pipeline=deal.pipeline).order_by("order", "id").first()
    card = page.locator(f'[data-stage-id="{first_stage.pk}"] [data-deal-id="{deal.pk}"]').first
    expect(card).to_be_visible()
    expect(card).to_contain_text("Webber Logistics GmbH")
