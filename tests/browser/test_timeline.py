"""The deal's timeline in real Chromium: it loads into the deal page, "Older entries" appends
the next page in place, and the organization link opens the organization page."""

import pytest
from playwright.sync_api import expect

from deals import defaults, services
from deals.models import LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def moved_deal(transactional_db, settings):
    settings.TIMELINE_PAGE_SIZE = 3
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    stages = factories.default_stages()
    organization = factories.OrganizationFactory(name="Acme GmbH")
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout", organization=organization)
    for version, stage in enumerate(stages[1:5], start=1):
        services.deal_move(deal_id=deal.pk, stage_id=stage.pk, version=version, actor=rep)
    return rep, deal


def test_timeline_loads_pages_older_entries_in_place_and_links_the_organization(page, live_server, login, moved_deal):
    rep, deal = moved_deal
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    items = page.get_by_test_id("timeline").get_by_test_id("timeline-item")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("Moved from Solution presentation to Negotiation & proposal")

    page.get_by_test_id("timeline-more").click()
    expect(items).to_have_count(6)
    assert page.url.endswith(f"/deals/{deal.pk}/")  # appended in place, no navigation
    # Created (stage), created (fields) and four moves: two pages of three, then no more link.
    expect(page.get_by_test_id("timeline-more")).to_have_count(0)
    expect(items.last).to_contain_text("Created in Prospecting")

    page.get_by_test_id("deal-organization").click()
    expect(page.get_by_test_id("organization-name")).to_have_text("Acme GmbH")
    expect(page.get_by_test_id("organization-open-deals")).to_contain_text("Acme rollout")
    expect(page.get_by_test_id("timeline").get_by_test_id("timeline-item").first).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
