"""The calendar feed: its secret address (create, replace, revoke on the preferences page) and
the .ics it serves (parsed with the icalendar library: UIDs, time zones, all-day dates, scope)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from activities import calendar as activity_calendar
from activities import ics
from activities.models import Activity
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


@pytest.fixture
def feed_owner(rep):
    activity_calendar.calendar_feed_regenerate(user=rep)
    return rep


def feed(client, user):
    response = client.get(reverse("activities:calendar_feed_ics", args=[user.calendar_token]))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events_by_summary(cal):
    return {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}


def in_days(days, hour=9, minute=0):
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


# --- the address -------------------------------------------------------------------------------


def test_preferences_show_a_block_to_create_the_feed(client, rep):
    client.force_login(rep)
    body = client.get(reverse("accounts:preferences")).content.decode()
    assert 'data-testid="calendar-feed-create"' in body
    assert 'data-testid="calendar-feed-url"' not in body


def test_creating_the_feed_shows_its_address_on_the_preferences_page(client, rep):
    client.force_login(rep)
    response = client.post(reverse("activities:calendar_feed"), {"action": "regenerate"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.calendar_token.startswith(f"{rep.pk}-") and len(rep.calendar_token) > 40
    body = client.get(reverse("accounts:preferences")).content.decode()
    assert f"/calendar/{rep.calendar_token}.ics" in body


def test_regenerating_by_htmx_answers_the_block_and_kills_the_old_address(client, feed_owner):
    old = feed_owner.calendar_token
    client.force_login(feed_owner)
    response = client.post(
        reverse("activities:calendar_feed"), {"action": "regenerate"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and 'id="calendar-feed"' in response.content.decode()
    feed_owner.refresh_from_db()
    assert feed_owner.calendar_token != old
    client.logout()
    assert client.get(reverse("activities:calendar_feed_ics", args=[old])).status_code == 404
    assert client.get(reverse("activities:calendar_feed_ics", args=[feed_owner.calendar_token])).status_code == 200


def test_a_revoked_feed_answers_404(client, feed_owner):
    token = feed_owner.calendar_token
    client.force_login(feed_owner)
    client.post(reverse("activities:calendar_feed"), {"action": "revoke"})
    feed_owner.refresh_from_db()
    assert feed_owner.calendar_token == ""
    client.logout()
    assert client.get(reverse("activities:calendar_feed_ics", args=[token])).status_code == 404


def test_an_unknown_action_is_refused_with_a_reason(client, rep):
    client.force_login(rep)
    response = client.post(reverse("activities:calendar_feed"), {"action": "delete-everything"})
    assert response.status_code == 400 and response.content


@pytest.mark.parametrize("token", ["nothing", "1-", "-abc", "999999-abcdef", "x" * 60])
def test_a_guessed_address_answers_404(client, feed_owner, token):
    assert client.get(reverse("activities:calendar_feed_ics", args=[token])).status_code == 404


def test_the_right_user_id_with_a_wrong_secret_answers_404(client, feed_owner):
    wrong = f"{feed_owner.pk}-" + "A" * 43
    assert client.get(reverse("activities:calendar_feed_ics", args=[wrong])).status_code == 404


def test_an_inactive_user_has_no_feed(client, feed_owner):
    feed_owner.is_active = False
    feed_owner.save()
    assert client.get(reverse("activities:calendar_feed_ics", args=[feed_owner.calendar_token])).status_code == 404


def test_the_feed_is_not_kept_by_shared_caches(client, feed_owner):
    response = client.get(reverse("activities:calendar_feed_ics", args=[feed_owner.calendar_token]))
    assert "private" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"


# --- the content -------------------------------------------------------------------------------


def test_feed_parses_and_lists_open_and_recently_done_activities(client, feed_owner):
    deal = factories.DealFactory(owner=feed_owner, title="Acme rollout")
    factories.ActivityFactory(deal=deal, subject="Open call", due_at=in_days(2), note="Ask for the budget")
    factories.ActivityFactory(
        deal=deal, subject="Done call", due_at=in_days(-3), done_at=timezone.now() - timedelta(days=3)
    )
    factories.ActivityFactory(deal=deal, subject="Old done", due_at=in_days(-60), done_at=in_days(-60))
    factories.ActivityFactory(deal=deal, subject="Far ahead", due_at=in_days(400))
    factories.ActivityFactory(deal=deal, subject="Undated", due_at=None)
    found = events_by_summary(feed(client, feed_owner))
    assert set(found) == {"Open call", "Done: Done call"}
    description = str(found["Open call"]["DESCRIPTION"])
    assert "Acme rollout" in description and f"/deals/{deal.pk}/" in description and "Ask for the budget" in description
    assert "DTSTAMP" in found["Open call"]


def test_feed_uid_is_stable_per_activity(client, feed_owner):
    activity = factories.ActivityFactory(deal=factories.DealFactory(owner=feed_owner), due_at=in_days(1))
    first = events_by_summary(feed(client, feed_owner))[activity.subject]["UID"]
    Activity.objects.filter(pk=activity.pk).update(due_at=in_days(2))
    second = events_by_summary(feed(client, feed_owner))[activity.subject]["UID"]
    assert first == second == f"activity-{activity.pk}@localhost"


def test_a_lead_activity_links_to_the_lead(client, feed_owner):
    lead = factories.LeadFactory(owner=feed_owner)
    factories.ActivityFactory(deal=None, lead=lead, subject="Lead call", due_at=in_days(1))
    description = str(events_by_summary(feed(client, feed_owner))["Lead call"]["DESCRIPTION"])
    assert f"/leads/{lead.pk}/" in description


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(date(2027, 1, 12), 8), (date(2027, 7, 13), 7)],
    ids=["winter", "summer"],
)
def test_feed_times_are_correct_in_utc(client, feed_owner, day, utc_hour):
    due = datetime(day.year, day.month, day.day, 9, 0, tzinfo=BERLIN)
    activity = factories.ActivityFactory(deal=factories.DealFactory(owner=feed_owner), due_at=due)
    now = due - timedelta(days=30)
    cal = Calendar.from_ical(ics.feed_calendar(user=feed_owner, now=now))
    event = events_by_summary(cal)[activity.subject]
    start = event.decoded("DTSTART")
    assert start == datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    assert event.decoded("DTEND") - start == timedelta(minutes=30)
    assert f"DTSTART:{day:%Y%m%d}T0{utc_hour}0000Z" in cal.to_ical().decode()


def test_all_day_activity_is_a_date(client, feed_owner):
    due = datetime(2027, 3, 29, 0, 0, tzinfo=BERLIN)
    activity = factories.ActivityFactory(deal=factories.DealFactory(owner=feed_owner), due_at=due, all_day=True)
    cal = Calendar.from_ical(ics.feed_calendar(user=feed_owner, now=due - timedelta(days=1)))
    event = events_by_summary(cal)[activity.subject]
    assert event.decoded("DTSTART") == date(2027, 3, 29)
    assert not isinstance(event.decoded("DTSTART"), datetime)
    assert event.decoded("DTEND") == date(2027, 3, 30)


def test_another_users_activities_are_absent(client, feed_owner, teammate, manager):
    own = factories.DealFactory(owner=feed_owner)
    factories.ActivityFactory(deal=own, subject="Mine", due_at=in_days(1))
    factories.ActivityFactory(deal=factories.DealFactory(owner=teammate), subject="Bob's", due_at=in_days(1))
    factories.ActivityFactory(deal=own, assignee=manager, subject="Maria's on my deal", due_at=in_days(1))
    assert set(events_by_summary(feed(client, feed_owner))) == {"Mine"}


def test_feed_takes_the_same_number_of_queries_for_few_and_many_activities(client, feed_owner):
    """Two queries: the user by id, the activities with their deal and lead."""
    url = reverse("activities:calendar_feed_ics", args=[feed_owner.calendar_token])

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), len(Calendar.from_ical(response.content).walk("VEVENT"))

    def add(n):
        for i in range(n):
            deal = factories.DealFactory(owner=feed_owner)
            factories.ActivityFactory(deal=deal, due_at=in_days(1 + i % 20, 8 + i % 9))
        factories.ActivityFactory(deal=None, lead=factories.LeadFactory(owner=feed_owner), due_at=in_days(3))

    add(2)
    few_queries, few = count()
    add(25)
    many_queries, many = count()
    assert many > few
    assert few_queries == many_queries == 2
