"""Activities in real Chromium: plan a follow-up on a deal, work it from "My activities",
and watch the board card's activity signal and rotting mark change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, Notification
from deals import defaults
from deals.models import Deal, LostReason, Pipeline, Stage
from tests import factories


@pytest.fixture
def rotting_deal(transactional_db):
    # transactional_db flushes the tables after each test, the migrated pipelines included.
    defaults.ensure_defaults(Pipeline, Stage, LostReason)
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    deal = factories.DealFactory(owner=rep, stage=factories.default_stages()[0], title="Acme rollout")
    Deal.objects.filter(pk=deal.pk).update(stage_entered_at=timezone.now() - timedelta(days=30))
    return rep, deal


def card(page, deal):
    return page.locator(f'[data-deal-id="{deal.pk}"]')


def test_rep_plans_a_follow_up_works_it_and_the_board_card_changes(page, live_server, login, rotting_deal):
    rep, deal = rotting_deal
    login(page, rep)
    page.goto(f"{live_server.url}/board/")
    expect(card(page, deal).locator("[data-signal]")).to_have_attribute("data-signal", "none")
    expect(card(page, deal).get_by_test_id("rotting")).to_be_visible()

    # Plan the follow-up on the deal page (the panel loads and posts with htmx).
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    panel = page.locator("#activities-panel")
    panel.get_by_text("Plan an activity").click()
    # The plan form (the panel also holds the form that logs a done call or meeting).
    plan = panel.get_by_role("form", name="New activity")
    plan.get_by_label("Kind").select_option("follow_up")
    plan.get_by_label("Subject").fill("Send the revised offer")
    due = timezone.localtime() + timedelta(days=2)
    plan.get_by_label("Due").fill(due.strftime("%Y-%m-%dT10:00"))
    panel.get_by_role("button", name="Add activity").click()
    expect(panel.get_by_test_id("activity-item")).to_contain_text("Send the revised offer")
    assert Activity.objects.get().kind == "follow_up"

    page.goto(f"{live_server.url}/board/")
    expect(card(page, deal).locator("[data-signal]")).to_have_attribute("data-signal", "planned")
    expect(card(page, deal).get_by_test_id("rotting")).to_have_count(0)

    # Work it from "My activities".
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activities", exact=True).click()
    upcoming = page.locator("#section-upcoming")
    item = upcoming.get_by_test_id("activity-item").filter(has_text="Send the revised offer")
    expect(item).to_contain_text("Acme rollout")
    item.get_by_role("button", name="Mark done").click()
    expect(item).to_have_class("activity-item is-done")
    expect(item.get_by_text("Done", exact=True)).to_be_visible()
    assert Activity.objects.get().done_at is not None

    page.goto(f"{live_server.url}/board/")
    expect(card(page, deal).locator("[data-signal]")).to_have_attribute("data-signal", "none")
    expect(card(page, deal).get_by_test_id("rotting")).to_have_count(0)


def test_notification_badge_counts_and_clears(page, live_server, login, rotting_deal):
    rep, deal = rotting_deal
    factories.NotificationFactory(user=rep, message="Reminder: call Acme", deal=deal)
    login(page, rep)

    page.goto(f"{live_server.url}/activities/")
    badge = page.locator("#notification-badge")
    expect(badge.get_by_test_id("unread-count")).to_contain_text("1")
    badge.click()
    page.get_by_role("button", name="Reminder: call Acme").click()
    expect(page).to_have_url(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.locator("#notification-badge")).to_be_visible()
    expect(page.locator("#notification-badge").get_by_test_id("unread-count")).to_have_count(0)
    assert Notification.objects.get().read_at is not None


def test_mark_read_refreshes_the_badge(page, live_server, login, rotting_deal):
    rep, deal = rotting_deal
    factories.NotificationFactory.create_batch(2, user=rep, deal=deal)
    login(page, rep)

    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_test_id("unread-count")).to_contain_text("2")
    page.get_by_role("button", name="Mark read").first.click()
    expect(page.get_by_test_id("unread-count")).to_contain_text("1")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_test_id("unread-count")).to_have_count(0)


def test_rep_plans_and_reschedules_a_call_on_a_lead(page, live_server, login, rotting_deal):
    rep, _deal = rotting_deal
    lead = factories.LeadFactory(owner=rep, first_name="Lena", last_name="Lange")
    login(page, rep)

    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    panel = page.locator("#activities-panel")
    panel.get_by_text("Plan an activity").click()
    plan = panel.get_by_role("form", name="New activity")
    plan.get_by_label("Subject").fill("Qualification call")
    plan.get_by_label("Due").fill((timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_role("button", name="Add activity").click()
    item = panel.get_by_test_id("activity-item").filter(has_text="Qualification call")
    expect(item).to_contain_text("Overdue")

    item.get_by_role("button", name="Tomorrow").click()
    expect(item).not_to_contain_text("Overdue")
    activity = Activity.objects.get(lead=lead)
    assert timezone.localtime(activity.due_at).date() == timezone.localdate() + timedelta(days=1)
