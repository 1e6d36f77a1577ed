""" "Today" and "overdue" in the user's time zone: a user in New York and one in Tokyo, just
after midnight in Tokyo (2026-06-10 00:30 there, 2026-06-09 11:30 in New York)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from activities import services
from tests import factories

UTC, NEW_YORK, TOKYO = ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 10, 0, 30, tzinfo=TOKYO)


@pytest.fixture
def frozen_now(monkeypatch):
    """The clock of the whole request (timezone.now and everything derived from it)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW.astimezone(UTC))
    return NOW


def user_in(user, zone):
    user.time_zone = zone
    user.save()
    return user


def sections_of(client, user):
    client.force_login(user)
    response = client.get(reverse("activities:list"))
    assert response.status_code == 200
    return {key: [a.subject for a in items] for key, _title, items in response.context["sections"]}


def test_a_call_at_11_pm_tokyo_time_is_overdue_in_tokyo_but_today_in_new_york(client, rep, frozen_now):
    call_at = datetime(2026, 6, 9, 23, 0, tzinfo=TOKYO)  # 10:00 on the 9th in New York

    user_in(rep, "Asia/Tokyo")
    factories.ActivityFactory(deal__owner=rep, subject="Late call", due_at=call_at)
    assert sections_of(client, rep)["overdue"] == ["Late call"]

    user_in(rep, "America/New_York")
    sections = sections_of(client, rep)
    assert sections["today"] == ["Late call"]
    assert sections["overdue"] == []


def test_a_meeting_tomorrow_morning_in_tokyo_is_today_there_and_upcoming_in_new_york(client, rep, frozen_now):
    factories.ActivityFactory(deal__owner=rep, subject="Breakfast", due_at=datetime(2026, 6, 10, 8, 0, tzinfo=TOKYO))

    assert sections_of(client, user_in(rep, "Asia/Tokyo"))["today"] == ["Breakfast"]
    # 8:00 in Tokyo is 19:00 on the 9th in New York: today there too, still to come.
    assert sections_of(client, user_in(rep, "America/New_York"))["today"] == ["Breakfast"]
    factories.ActivityFactory(deal__owner=rep, subject="Lunch", due_at=datetime(2026, 6, 10, 13, 0, tzinfo=TOKYO))
    # 13:00 in Tokyo is 00:00 on the 10th in New York: tomorrow there.
    assert sections_of(client, user_in(rep, "America/New_York"))["upcoming"] == ["Lunch"]


def test_an_all_day_task_of_yesterday_is_overdue_in_tokyo_not_in_new_york(rep, teammate, frozen_now):
    tokyo_task = factories.ActivityFactory(
        deal__owner=rep, all_day=True, due_at=datetime.combine(NOW.date().replace(day=9), time.min, tzinfo=TOKYO)
    )
    new_york_task = factories.ActivityFactory(
        deal__owner=teammate, all_day=True, due_at=datetime(2026, 6, 9, 0, 0, tzinfo=NEW_YORK)
    )
    with timezone.override(TOKYO):  # what the middleware activates for the user in Tokyo
        assert tokyo_task.is_overdue
    with timezone.override(NEW_YORK):
        assert not new_york_task.is_overdue


def test_the_overdue_badge_follows_the_users_zone_on_the_page(client, rep, frozen_now):
    factories.ActivityFactory(
        deal__owner=rep, subject="All-day on the 9th", all_day=True, due_at=datetime(2026, 6, 9, 0, 0, tzinfo=TOKYO)
    )
    client.force_login(user_in(rep, "Asia/Tokyo"))
    assert "is-overdue" in client.get(reverse("activities:list")).content.decode()


def test_an_all_day_activity_planned_in_tokyo_starts_at_midnight_there(client, rep, frozen_now):
    deal = factories.DealFactory(owner=user_in(rep, "Asia/Tokyo"))
    client.force_login(rep)
    client.post(
        reverse("activities:deal_panel", args=[deal.pk]),
        {"kind": "task", "subject": "Prepare", "due_at": "2026-06-12T15:00", "all_day": "on"},
    )
    assert deal.activities.get().due_at == datetime(2026, 6, 12, 0, 0, tzinfo=TOKYO)


def test_a_due_time_typed_in_new_york_is_new_york_time(client, rep, frozen_now):
    deal = factories.DealFactory(owner=user_in(rep, "America/New_York"))
    client.force_login(rep)
    client.post(
        reverse("activities:deal_panel", args=[deal.pk]),
        {"kind": "call", "subject": "Call", "due_at": "2026-06-12T09:00"},
    )
    assert deal.activities.get().due_at == datetime(2026, 6, 12, 9, 0, tzinfo=NEW_YORK)


def test_postponing_keeps_the_wall_clock_time_in_the_users_zone(client, rep, frozen_now):
    activity = factories.ActivityFactory(
        deal__owner=user_in(rep, "Asia/Tokyo"), due_at=datetime(2026, 6, 9, 23, 0, tzinfo=TOKYO)
    )
    client.force_login(rep)
    client.post(reverse("activities:postpone", args=[activity.pk]))
    activity.refresh_from_db()
    assert activity.due_at == datetime(2026, 6, 11, 23, 0, tzinfo=TOKYO)  # tomorrow in Tokyo is the 11th


def test_the_reminder_names_the_time_in_the_assignees_zone(rep, frozen_now):
    rep.time_zone = "Asia/Tokyo"
    rep.save()
    factories.ActivityFactory(deal__owner=rep, subject="Call Kyoto", due_at=datetime(2026, 6, 10, 0, 40, tzinfo=TOKYO))

    services.reminders_run(now=NOW)

    assert "10 Jun 2026, 00:40" in mail.outbox[0].subject


def test_the_digest_of_the_tokyo_user_covers_the_tokyo_day(rep, teammate):
    user_in(rep, "Asia/Tokyo")
    user_in(teammate, "America/New_York")
    for user in (rep, teammate):
        factories.ActivityFactory(
            deal__owner=user, subject="Late call", due_at=datetime(2026, 6, 9, 23, 0, tzinfo=TOKYO)
        )
    # 07:00 in Tokyo on the 10th is 18:00 on the 9th in New York: both digest hours have come,
    # and the call (10:00 on the 9th in New York) was yesterday in Tokyo, today in New York.
    services.digests_run(now=datetime(2026, 6, 10, 7, 0, tzinfo=TOKYO))
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "10/06/2026: 0 today, 1 overdue" in subjects[rep.email]
    assert "09/06/2026: 1 today, 0 overdue" in subjects[teammate.email]


def test_the_boards_activity_signal_is_today_in_tokyo_and_planned_in_new_york(client, rep, frozen_now):
    deal = factories.DealFactory(owner=rep)
    # 13:00 on the 10th in Tokyo is midnight starting the 10th in New York (where it is the 9th).
    factories.ActivityFactory(deal=deal, due_at=datetime(2026, 6, 10, 13, 0, tzinfo=TOKYO))

    def signal():
        client.force_login(rep)
        html = client.get(reverse("deals:board")).content.decode()
        card = html[html.index(f'data-deal-id="{deal.pk}"') :]
        return card[card.index('data-signal="') + len('data-signal="') :].split('"', 1)[0]

    user_in(rep, "Asia/Tokyo")
    assert signal() == "today"
    user_in(rep, "America/New_York")
    assert signal() == "planned"
