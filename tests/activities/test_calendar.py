"""The activity calendar: the page for every role, the JSON events (scope, range, time zone,
queries) and rescheduling by drag and drop (permissions, version, bad input)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = {"start": "2026-03-02T00:00:00", "end": "2026-03-09T00:00:00"}


def at(*args):
    return datetime(*args, tzinfo=BERLIN)


def events(client, user, scope="mine", **params):
    client.force_login(user)
    response = client.get(reverse("activities:calendar_events"), {**WEEK, "scope": scope, **params})
    assert response.status_code == 200, response.content
    return {event["title"].split(" · ")[0]: event for event in response.json()}


@pytest.fixture
def week(rep, teammate, outsider):
    """Alice's and Bob's activities in the week of 2 March 2026, and Charlie's of the other team."""
    own_deal = factories.DealFactory(owner=rep, title="Acme rollout")
    bob_deal = factories.DealFactory(owner=teammate, title="Bob's deal")
    south_deal = factories.DealFactory(owner=outsider, title="South deal")
    return {
        "alice": factories.ActivityFactory(deal=own_deal, subject="Alice call", due_at=at(2026, 3, 3, 9, 30)),
        "bob": factories.ActivityFactory(deal=bob_deal, subject="Bob call", due_at=at(2026, 3, 4, 14, 0)),
        "charlie": factories.ActivityFactory(deal=south_deal, subject="Charlie call", due_at=at(2026, 3, 5, 10, 0)),
        "later": factories.ActivityFactory(deal=own_deal, subject="Next month", due_at=at(2026, 4, 3, 9, 0)),
    }


# --- the page --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["rep", "teammate", "outsider", "manager", "admin"])
def test_calendar_page_renders_for_every_role(client, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("activities:calendar"), {"view": "month", "scope": "team"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-initial-view="dayGridMonth"' in body
    assert "vendor/fullcalendar/core/index.global.min.js" in body
    assert "scope=team" in body


def test_calendar_partial_is_the_calendar_alone(client, rep):
    client.force_login(rep)
    response = client.get(reverse("activities:calendar"), {"scope": "team"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="activity-calendar"' in body and "<html" not in body
    assert 'data-initial-view="timeGridWeek"' in body


def test_calendar_page_allows_only_nonced_styles_and_no_inline_script(client, rep):
    client.force_login(rep)
    response = client.get(reverse("activities:calendar"))
    policy = response.headers["Content-Security-Policy"]
    assert "style-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    body = response.content.decode()
    assert "<script>" not in body and "<script " not in body.replace("<script src=", "")


def test_calendar_follows_the_language(client, rep):
    rep.language = "de"
    rep.save()
    client.force_login(rep)
    response = client.get(reverse("activities:calendar"), headers={"Accept-Language": "de"})
    body = response.content.decode()
    assert 'data-locale="de"' in body and "locales/de.global.min.js" in body
    rep.language = ""  # no choice of their own: the browser's language
    rep.save()
    response = client.get(reverse("activities:calendar"), headers={"Accept-Language": "en"})
    assert 'data-locale="en-gb"' in response.content.decode()


def test_calendar_needs_a_login(client):
    response = client.get(reverse("activities:calendar_events"), WEEK)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# --- events: scope, range, time zone ---------------------------------------------------------


def test_my_calendar_shows_only_my_activities(client, rep, week):
    assert set(events(client, rep)) == {"Alice call"}


def test_team_calendar_of_a_rep_shows_the_own_team_but_hides_other_teams_activities(client, rep, week):
    assert set(events(client, rep, "team")) == {"Alice call", "Bob call"}


def test_team_calendar_of_a_manager_shows_the_teams_they_manage(client, manager, manager_south, week):
    assert set(events(client, manager, "team")) == {"Alice call", "Bob call"}
    assert set(events(client, manager_south, "team")) == {"Charlie call"}


def test_team_calendar_of_an_admin_shows_everything(client, admin, week):
    assert set(events(client, admin, "team")) == {"Alice call", "Bob call", "Charlie call"}


def test_events_are_limited_to_the_range(client, rep, week):
    assert "Next month" not in events(client, rep)
    april = events(client, rep, start="2026-03-30T00:00:00", end="2026-05-04T00:00:00")
    assert set(april) == {"Next month"}


def test_events_are_in_the_users_time_zone(client, rep, week):
    assert events(client, rep)["Alice call"]["start"] == "2026-03-03T09:30:00"
    rep.time_zone = "America/New_York"
    rep.save()
    assert events(client, rep)["Alice call"]["start"] == "2026-03-03T03:30:00"


def test_all_day_activity_is_an_all_day_event(client, rep, week):
    Activity.objects.filter(pk=week["alice"].pk).update(all_day=True, due_at=at(2026, 3, 3, 0, 0))
    event = events(client, rep)["Alice call"]
    assert event["allDay"] is True and event["start"] == "2026-03-03"


def test_overdue_and_done_events_are_styled_apart(client, rep, week):
    Activity.objects.filter(pk=week["alice"].pk).update(done_at=at(2026, 3, 3, 10, 0))
    factories.ActivityFactory(deal=week["alice"].deal, subject="Open call", due_at=at(2026, 3, 3, 11, 0))
    found = events(client, rep)
    assert "is-done" in found["Alice call"]["classNames"] and found["Alice call"]["editable"] is False
    assert "is-overdue" in found["Open call"]["classNames"] and found["Open call"]["editable"] is True


def test_event_links_to_its_deal_or_lead(client, rep, week):
    lead = factories.LeadFactory(owner=rep)
    factories.ActivityFactory(deal=None, lead=lead, subject="Lead call", due_at=at(2026, 3, 3, 12, 0))
    found = events(client, rep)
    assert found["Alice call"]["url"] == reverse("deals:detail", args=[week["alice"].deal_id])
    assert found["Lead call"]["url"] == reverse("leads:detail", args=[lead.pk])


def test_teammates_events_are_not_editable_for_a_rep_but_are_for_the_manager(client, rep, manager, week):
    assert events(client, rep, "team")["Bob call"]["editable"] is False
    assert events(client, manager, "team")["Bob call"]["editable"] is True


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"start": "yesterday", "end": "2026-03-09"},
        {"start": "2026-03-09", "end": "2026-03-02"},
        {"end": "2027-01-01"},
    ],
)
def test_events_refuse_a_bad_range_with_a_reason(client, rep, params):
    client.force_login(rep)
    query = {**WEEK, **params} if params else {}
    response = client.get(reverse("activities:calendar_events"), query)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize("scope", ["mine", "team"])
def test_events_take_the_same_number_of_queries_for_few_and_many_activities(client, manager, rep, teammate, scope):
    """Two queries: the session's user (the session itself is in the cache), then the activities
    with their assignee, deal and lead (and whether the user may change each, in SQL)."""
    client.force_login(manager)
    url = reverse("activities:calendar_events")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {**WEEK, "scope": scope})
        assert response.status_code == 200
        return len(queries), len(response.json())

    def add(n):
        for i in range(n):
            owner = rep if i % 2 else teammate
            deal = factories.DealFactory(owner=owner)
            factories.ActivityFactory(deal=deal, assignee=manager, due_at=at(2026, 3, 2 + i % 6, 8 + i % 9, 0))
        lead = factories.LeadFactory(owner=rep)
        factories.ActivityFactory(deal=None, lead=lead, assignee=manager, due_at=at(2026, 3, 4, 9, 0))

    add(2)
    few_queries, few = count()
    add(25)
    many_queries, many = count()
    assert many > few
    assert few_queries == many_queries == 2, (few_queries, many_queries)


# --- reschedule ------------------------------------------------------------------------------


def reschedule(client, user, activity, **data):
    client.force_login(user)
    activity.refresh_from_db()
    data.setdefault("version", activity.updated_at.isoformat())
    return client.post(reverse("activities:reschedule", args=[activity.pk]), data)


def test_dragging_to_another_time_stores_the_due_time_in_the_users_zone(client, rep, week):
    response = reschedule(client, rep, week["alice"], start="2026-03-05T14:30:00", all_day="false")
    assert response.status_code == 200, response.content
    week["alice"].refresh_from_db()
    assert week["alice"].due_at == at(2026, 3, 5, 14, 30)
    assert response.json()["start"] == "2026-03-05T14:30:00"


def test_rescheduling_across_daylight_saving_keeps_the_wall_clock_time(client, rep, week):
    reschedule(client, rep, week["alice"], start="2026-03-31T09:30:00")
    week["alice"].refresh_from_db()
    assert week["alice"].due_at == datetime(2026, 3, 31, 7, 30, tzinfo=ZoneInfo("UTC"))


def test_dragging_into_the_all_day_row_makes_an_all_day_activity(client, rep, week):
    assert reschedule(client, rep, week["alice"], start="2026-03-06", all_day="true").status_code == 200
    week["alice"].refresh_from_db()
    assert week["alice"].all_day and week["alice"].due_at == at(2026, 3, 6, 0, 0)


def test_rescheduling_rearms_the_reminder_and_is_audited(client, rep, week):
    from audit.models import LogEntry

    Activity.objects.filter(pk=week["alice"].pk).update(reminder_sent_at=at(2026, 3, 3, 9, 15))
    reschedule(client, rep, week["alice"], start="2026-03-05T10:00:00")
    week["alice"].refresh_from_db()
    assert week["alice"].reminder_sent_at is None
    entry = LogEntry.objects.get_for_object(week["alice"]).order_by("-pk").first()
    assert entry is not None and "due_at" in entry.changes_dict and entry.actor == rep


@pytest.mark.parametrize(("role", "status"), [("teammate", 403), ("outsider", 404), ("manager_south", 404)])
def test_reschedule_refuses_who_may_not_change_the_activity(client, request, week, role, status):
    before = week["alice"].due_at
    response = reschedule(client, request.getfixturevalue(role), week["alice"], start="2026-03-05T10:00:00")
    assert response.status_code == status and response.json()["error"]
    week["alice"].refresh_from_db()
    assert week["alice"].due_at == before


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_reschedule_is_allowed_to_the_manager_and_the_admin(client, request, week, role):
    response = reschedule(client, request.getfixturevalue(role), week["alice"], start="2026-03-05T10:00:00")
    assert response.status_code == 200


def test_reschedule_refuses_a_stale_version(client, rep, week):
    response = reschedule(client, rep, week["alice"], start="2026-03-05T10:00:00", version="2020-01-01T00:00:00")
    assert response.status_code == 409 and "meantime" in response.json()["error"]


@pytest.mark.parametrize("start", ["", "next tuesday", "2026-13-45T10:00:00", "2026-03-05Tnoon", "2026-03-05x"])
def test_reschedule_refuses_bad_input_with_a_reason(client, rep, week, start):
    response = reschedule(client, rep, week["alice"], start=start)
    assert response.status_code == 400 and response.json()["error"]


def test_reschedule_refuses_a_done_activity(client, rep, week):
    Activity.objects.filter(pk=week["alice"].pk).update(done_at=at(2026, 3, 3, 10, 0))
    response = reschedule(client, rep, week["alice"], start="2026-03-05T10:00:00")
    assert response.status_code == 400 and "reopen" in response.json()["error"]


def test_reschedule_answers_only_post(client, rep, week):
    client.force_login(rep)
    assert client.get(reverse("activities:reschedule", args=[week["alice"].pk])).status_code == 405


def test_calendar_range_includes_all_day_activity_on_the_first_day(client, rep, week):
    Activity.objects.filter(pk=week["alice"].pk).update(all_day=True, due_at=at(2026, 3, 2, 0, 0))
    assert events(client, rep)["Alice call"]["start"] == "2026-03-02"
    assert "Alice call" not in events(client, rep, start="2026-03-03T00:00:00", end="2026-03-09T00:00:00")


def test_week_before_has_nothing(client, rep, week):
    assert events(client, rep, start="2026-02-23T00:00:00", end="2026-03-02T00:00:00") == {}


def test_range_longer_than_two_months_is_refused(client, rep):
    client.force_login(rep)
    start = datetime(2026, 1, 1)
    response = client.get(
        reverse("activities:calendar_events"),
        {"start": start.isoformat(), "end": (start + timedelta(days=90)).isoformat()},
    )
    assert response.status_code == 400


def test_the_main_navigation_leads_to_the_calendar_and_marks_it_current(client, rep):
    client.force_login(rep)
    page = client.get(reverse("activities:calendar")).content.decode()
    assert f'href="{reverse("activities:calendar")}" aria-current="page" data-testid="nav-calendar"' in page
    other = client.get(reverse("activities:list")).content.decode()
    assert 'aria-current="page" data-testid="nav-calendar"' not in other
