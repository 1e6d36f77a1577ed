"""Logging a call on an organization's page in real Chromium: an all-day plan without its day
comes back in place with its message (the 400 is swapped), then the call is logged as done and
shows among the done activities without a page load, and on the deal's own page. On the deal page a
done meeting is logged with its outcome and next step (a next step without its due time is refused in
place first)."""

import pytest
from playwright.sync_api import expect

from activities.models import Activity
from deals import defaults
from deals.models import LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def customer(transactional_db):
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    rep = factories.UserFactory(username="rita", first_name="Rita", last_name="Rep", role="rep")
    organization = factories.OrganizationFactory(name="Acme GmbH", owner=rep)
    deal = factories.DealFactory(
        owner=rep, organization=organization, stage=factories.default_stages()[0], title="Acme rollout"
    )
    return rep, organization, deal


def test_a_rep_logs_a_call_on_the_organization_page(page, live_server, login, customer):
    rep, organization, deal = customer
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, rep)
    page.goto(f"{live_server.url}/organizations/{organization.pk}/")
    form = page.get_by_test_id("organization-log-form")
    expect(form.locator("select[name='log-target']")).to_have_value(f"deal-{deal.pk}")

    form.locator("input[name='log-subject']").fill("Called about the offer")
    form.locator("textarea[name='log-note']").fill("Wants a discount")
    form.locator("input[name='log-when'][value='plan']").check()
    form.locator("input[name='log-all_day']").check()
    form.get_by_role("button").click()
    form = page.get_by_test_id("organization-log-form")
    expect(form.locator(".errorlist")).to_be_visible()
    expect(form.locator("textarea[name='log-note']")).to_have_value("Wants a discount")

    form.locator("input[name='log-when'][value='done']").check()
    form.locator("input[name='log-all_day']").uncheck()
    form.get_by_role("button").click()
    expect(page.get_by_test_id("organization-done")).to_contain_text("Called about the offer")
    expect(page.get_by_test_id("organization-log-form").locator(".errorlist")).to_have_count(0)
    assert page.url == f"{live_server.url}/organizations/{organization.pk}/"

    activity = Activity.objects.get()
    assert activity.deal_id == deal.pk and activity.done_at is not None
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.locator("#activities-panel")).to_contain_text("Called about the offer")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_rep_logs_a_done_meeting_with_a_next_step_on_the_deal_page(page, live_server, login, customer):
    rep, _organization, deal = customer
    login(page, rep)
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    panel = page.locator("#activities-panel")
    panel.get_by_text("Log a done call or meeting").click()
    form = panel.get_by_test_id("log-done-form")
    form.get_by_label("Meeting").check()
    form.locator("select[name='done-outcome']").select_option("interested")
    form.locator("input[name='done-next_subject']").fill("Send the offer")
    form.get_by_role("button", name="Log as done").click()
    # Without its due time the next step is refused in place (400, swapped), nothing written.
    form = panel.get_by_test_id("log-done-form")
    expect(form.locator(".errorlist")).to_contain_text("When is the next step due?")
    assert not Activity.objects.exists()

    form.locator("input[name='done-next_due_at']").fill("2027-02-03T10:30")
    form.get_by_role("button", name="Log as done").click()
    expect(panel.get_by_test_id("activity-outcome")).to_have_text("Interested")
    expect(panel.get_by_test_id("activity-item").filter(has_text="Send the offer")).to_be_visible()
    done, follow_up = Activity.objects.order_by("pk")
    assert (done.kind, done.subject, done.outcome) == ("meeting", "Meeting", "interested")
    assert follow_up.subject == "Send the offer" and follow_up.done_at is None and follow_up.deal_id == deal.pk
