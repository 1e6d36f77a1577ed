"""The activity calendar in real Chromium: the week view shows a rep's call, dragging it to another
day and time (mouse down, several moves, mouse up: FullCalendar follows mouse events) stores the
new due time in the rep's zone, and the month view shows it there. No CSP violation on the way."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def planned_call(transactional_db):
    north = factories.TeamFactory(name="North")
    rep = factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=north)
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    activity = factories.ActivityFactory(
        deal=deal, subject="Call Acme", due_at=datetime(2027, 3, 2, 9, 30, tzinfo=BERLIN)
    )
    return rep, activity


def center(box):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_rep_drags_an_activity_to_another_day_and_time(page, live_server, login, planned_call):
    rep, activity = planned_call
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 2200})
    login(page, rep)
    page.goto(f"{live_server.url}/activities/calendar/?view=week&date=2027-03-01")

    event = page.locator(f'.fc-event[data-activity-id="{activity.pk}"]')
    expect(event).to_contain_text("Call Acme")
    # The target: Thursday's column at the 14:00 slot.
    column = page.locator('td.fc-timegrid-col[data-date="2027-03-04"]').bounding_box()
    slot = page.locator('td.fc-timegrid-slot-lane[data-time="14:00:00"]').bounding_box()
    start_x, start_y = center(event.bounding_box())
    target_x, target_y = column["x"] + column["width"] / 2, slot["y"] + slot["height"] / 2

    with page.expect_response(lambda r: "/reschedule/" in r.url) as answer:
        page.mouse.move(start_x, start_y)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(start_x + (target_x - start_x) * step / 10, start_y + (target_y - start_y) * step / 10)
            page.wait_for_timeout(30)
        page.mouse.up()
    assert answer.value.status == 200, answer.value.text()

    activity.refresh_from_db()
    assert activity.due_at == datetime(2027, 3, 4, 14, 0, tzinfo=BERLIN)
    assert not activity.all_day

    # The month view shows it on its new day.
    page.get_by_role("button", name="month").click()
    cell = page.locator('td.fc-daygrid-day[data-date="2027-03-04"]')
    expect(cell).to_contain_text("Call Acme")
    expect(page.locator('td.fc-daygrid-day[data-date="2027-03-02"]')).not_to_contain_text("Call Acme")
    assert not [e for e in errors if "Content Security Policy" in e or "FullCalendar" in e], errors
