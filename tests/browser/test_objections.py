"""Objections on the deal page in real Chromium: in the close stage the section is open, an objection
is recorded with htmx, a handled one without an answer comes back with the message, and it is changed
to resolved."""

import pytest
from playwright.sync_api import expect

from deals import defaults
from deals.models import LostReason, Objection, Pipeline, Stage
from tests import factories


@pytest.fixture
def closing_deal(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams")
    stages = factories.default_stages()
    deal = factories.DealFactory(owner=rep, stage=stages[-1], title="Rollout Nord", organization=None)
    return rep, deal


def test_a_rep_records_and_resolves_an_objection_on_the_deal_page(page, live_server, login, closing_deal):
    rep, deal = closing_deal
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")

    section = page.get_by_test_id("objections-details")
    expect(section).to_have_attribute("open", "")
    form = page.get_by_test_id("objection-add")
    form.get_by_label("Objection", exact=True).select_option("price")
    form.get_by_label("What the customer said").fill("Zu teuer für dieses Jahr")
    form.get_by_label("Handled", exact=True).select_option("resolved")
    form.get_by_test_id("objection-submit").click()
    expect(page.get_by_text("Say how the objection was handled.")).to_be_visible()
    assert not Objection.objects.exists()

    form = page.get_by_test_id("objection-add")
    form.get_by_label("How it was handled").fill("Zahlung in zwei Raten angeboten")
    form.get_by_test_id("objection-submit").click()
    item = page.get_by_test_id("objection")
    expect(item).to_contain_text("Zu teuer für dieses Jahr")
    expect(item.get_by_test_id("objection-handling")).to_have_text("Resolved")
    expect(page.get_by_test_id("objections-count")).to_have_text("1")
    expect(page.get_by_test_id("objections-details")).to_have_attribute("open", "")

    objection = Objection.objects.get()
    assert (objection.kind, objection.handling, objection.stage_id) == ("price", "resolved", deal.stage_id)
    assert objection.response == "Zahlung in zwei Raten angeboten"
    # The refused first try answered 400 on purpose; nothing else went wrong.
    assert [error for error in errors if "status of 400" not in error] == []
