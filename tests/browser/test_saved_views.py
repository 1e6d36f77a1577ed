"""Saved views and a bulk action in real Chromium: filter the deal list, save the view, leave,
open the view again and see the filtered rows; move a deal with a bulk action and undo it."""

import re

import pytest
from playwright.sync_api import expect

from deals import defaults
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def owner(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    return factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)


def test_run_a_saved_view(page, live_server, login, owner):
    stage = Stage.objects.filter(pipeline__is_default=True).order_by("order").first()
    alpha = factories.DealFactory(owner=owner, stage=stage, title="Alpha rollout")
    beta = factories.DealFactory(owner=owner, stage=stage, title="Beta licences")
    login(page, owner)

    # Filter the deal list (htmx swaps the table and pushes the URL).
    page.goto(f"{live_server.url}/deals/")
    expect(page.locator(f'tr[data-deal-id="{beta.pk}"]')).to_be_visible()
    page.locator("main").get_by_role("searchbox").fill("Alpha")
    expect(page.locator(f'tr[data-deal-id="{beta.pk}"]')).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=Alpha"))

    # Save it as a view (the toolbar loads after the list).
    page.locator(".saved-views > summary").click()
    page.get_by_test_id("saved-view-name").fill("Alpha only")
    page.get_by_test_id("save-view").click()
    expect(page.get_by_text("View Alpha only saved.")).to_be_visible()

    # Somewhere else, then back to the unfiltered list, then the view.
    page.goto(f"{live_server.url}/board/")
    page.goto(f"{live_server.url}/deals/")
    expect(page.locator(f'tr[data-deal-id="{beta.pk}"]')).to_be_visible()
    page.locator(".saved-views > summary").click()
    page.get_by_test_id("saved-view-link").filter(has_text="Alpha only").click()
    expect(page).to_have_url(re.compile(r"q=Alpha"))
    expect(page.locator(f'tr[data-deal-id="{alpha.pk}"]')).to_be_visible()
    expect(page.locator(f'tr[data-deal-id="{beta.pk}"]')).to_have_count(0)


def test_a_bulk_stage_change_and_its_undo(page, live_server, login, owner):
    stages = list(Stage.objects.filter(pipeline__is_default=True).order_by("order"))
    deals = [factories.DealFactory(owner=owner, stage=stages[0], title=f"Deal {i}") for i in range(2)]
    login(page, owner)
    page.goto(f"{live_server.url}/deals/")
    expect(page.get_by_test_id("bulk-form")).to_be_visible()
    for deal in deals:
        page.locator(f'tr[data-deal-id="{deal.pk}"] input.select-row').check()
    page.get_by_test_id("bulk-action").select_option("stage")
    page.locator("#bulk-form select[name=stage]").select_option(str(stages[2].pk))
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_text(re.compile(r"2 deals moved to"))).to_be_visible()
    assert set(Deal.objects.values_list("stage_id", flat=True)) == {stages[2].pk}

    page.get_by_test_id("bulk-undo").click()
    expect(page.get_by_text("Undone: 2 deals restored.")).to_be_visible()
    assert set(Deal.objects.values_list("stage_id", flat=True)) == {stages[0].pk}
