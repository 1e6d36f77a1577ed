"""The user's language (preferences, user menu, middleware) and time zone (a choice from the
zoneinfo list, activated per request)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import localization
from tests import factories

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def _preferences(**changes):
    data = {"last_name": "Adams", "reminder_lead_minutes": 15, "digest_hour": 7, "language": "", "time_zone": ""}
    return data | changes


# --- language -------------------------------------------------------------------------------


def test_the_users_language_beats_the_browsers(client, rep):
    rep.language = "de"
    rep.save()
    client.force_login(rep)
    response = client.get("/activities/", **ENGLISH)
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in response.content.decode()


def test_an_english_user_with_a_german_browser_reads_english(client, rep):
    rep.language = "en-gb"
    rep.save()
    client.force_login(rep)
    response = client.get("/activities/", **GERMAN)
    assert response["Content-Language"] == "en-gb"
    assert "Aktivitäten" not in response.content.decode()


def test_a_user_without_a_language_follows_the_browser(client, rep):
    client.force_login(rep)
    assert client.get("/activities/", **GERMAN)["Content-Language"] == "de"
    assert client.get("/activities/", **ENGLISH)["Content-Language"] == "en-gb"


def test_without_browser_preference_the_installation_default_applies(client, rep, settings):
    client.force_login(rep)
    assert client.get("/activities/")["Content-Language"] == settings.LANGUAGE_CODE


def test_the_login_page_follows_the_browser(client, db):
    assert client.get("/accounts/login/", **GERMAN)["Content-Language"] == "de"
    assert client.get("/accounts/login/", **ENGLISH)["Content-Language"] == "en-gb"


@pytest.mark.parametrize("who", ["rep", "teammate", "outsider", "manager", "admin"])
def test_the_user_menu_switches_the_language_and_returns_to_the_page(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = reverse("activities:list") + "?status=open"
    response = client.post(reverse("accounts:language"), {"language": "de", "next": page}, **ENGLISH)
    assert response.status_code == 302
    assert response["Location"] == page
    user.refresh_from_db()
    assert user.language == "de"
    assert client.get(page, **ENGLISH)["Content-Language"] == "de"


def test_switching_back_to_the_browser_language_clears_the_choice(client, rep):
    rep.language = "de"
    rep.save()
    client.force_login(rep)
    client.post(reverse("accounts:language"), {"language": "", "next": "/activities/"})
    rep.refresh_from_db()
    assert rep.language == ""
    assert client.get("/activities/", **ENGLISH)["Content-Language"] == "en-gb"


def test_the_language_switch_refuses_an_unknown_language(client, rep):
    client.force_login(rep)
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "/"})
    assert response.status_code == 400
    rep.refresh_from_db()
    assert rep.language == ""


def test_the_language_switch_does_not_redirect_to_another_site(client, rep):
    client.force_login(rep)
    response = client.post(reverse("accounts:language"), {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == reverse("deals:board")


def test_the_language_switch_needs_a_post_with_the_csrf_token(client, rep):
    client.force_login(rep)
    assert client.get(reverse("accounts:language")).status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(rep)
    assert strict.post(reverse("accounts:language"), {"language": "de"}).status_code == 403


def test_the_user_menu_offers_both_languages_by_their_own_names(client, rep):
    client.force_login(rep)
    html = client.get("/activities/", **ENGLISH).content.decode()
    assert 'data-testid="language-switch"' in html
    assert 'value="de" lang="de" class="linklike">Deutsch</button>' in html
    assert 'value="en-gb" lang="en-gb" class="linklike" aria-pressed="true">English</button>' in html


def test_preferences_store_the_language(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/preferences/", _preferences(language="de"))
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.language == "de"


# --- time zone and working hours ------------------------------------------------------------


def test_preferences_offer_the_time_zones_as_a_filterable_list(client, rep):
    client.force_login(rep)
    html = client.get("/accounts/preferences/").content.decode()
    assert '<select name="time_zone"' in html
    assert "data-filterable" in html
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in html
    assert "js/preferences.js" in html


def test_preferences_store_a_time_zone_from_the_list(client, rep):
    client.force_login(rep)
    assert client.post("/accounts/preferences/", _preferences(time_zone="Asia/Tokyo")).status_code == 302
    rep.refresh_from_db()
    assert rep.time_zone == "Asia/Tokyo"


@pytest.mark.parametrize("junk", ["Mars/Olympus", "europe/berlin", "<script>", "Europe/Berlin; DROP"])
def test_preferences_refuse_a_time_zone_not_on_the_list(client, rep, junk):
    client.force_login(rep)
    response = client.post("/accounts/preferences/", _preferences(time_zone=junk))
    assert response.status_code == 400
    assert "Unknown time zone" in response.content.decode()
    rep.refresh_from_db()
    assert rep.time_zone == ""


def test_preferences_store_the_working_hours(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/preferences/", _preferences(workday_start="08:30", workday_end="16:00"))
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.workday_start, rep.workday_end) == (datetime.time(8, 30), datetime.time(16, 0))


def test_preferences_refuse_a_working_day_that_ends_before_it_starts(client, rep):
    client.force_login(rep)
    response = client.post("/accounts/preferences/", _preferences(workday_start="17:00", workday_end="09:00"))
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    rep.refresh_from_db()
    assert rep.workday_start == datetime.time(9, 0)


def _due_in_the_night(rep):
    # 15:30 UTC: 17:30 in Berlin on the 9th, 00:30 in Tokyo on the 10th.
    return factories.ActivityFactory(
        deal__owner=rep, due_at=datetime.datetime(2030, 6, 9, 15, 30, tzinfo=datetime.UTC), subject="Night call"
    )


def test_each_request_shows_times_in_the_users_time_zone(client, rep):
    _due_in_the_night(rep)
    rep.time_zone = "Asia/Tokyo"
    rep.save()
    client.force_login(rep)
    html = client.get("/activities/", **ENGLISH).content.decode()
    assert "10/06/2030" in html
    assert "09/06/2030" not in html
    assert timezone.get_current_timezone_name() != "Asia/Tokyo"  # not left behind for the next request


def test_a_user_without_a_time_zone_gets_the_installations(client, rep):
    _due_in_the_night(rep)
    client.force_login(rep)
    html = client.get("/activities/", **ENGLISH).content.decode()
    assert "09/06/2030" in html


# --- working time ---------------------------------------------------------------------------


def _user(rep, zone, start=datetime.time(9), end=datetime.time(17)):
    rep.time_zone, rep.workday_start, rep.workday_end = zone, start, end
    return rep


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 6, 9, 10, 30), (2026, 6, 9, 10, 30)),  # Tuesday, within: unchanged
        ((2026, 6, 9, 7, 0), (2026, 6, 9, 9, 0)),  # before the start: that day's start
        ((2026, 6, 9, 17, 0), (2026, 6, 10, 9, 0)),  # at the end: the next day's start
        ((2026, 6, 9, 0, 0), (2026, 6, 9, 9, 0)),  # midnight: that morning
        ((2026, 6, 12, 18, 0), (2026, 6, 15, 9, 0)),  # Friday evening: Monday
        ((2026, 6, 13, 11, 0), (2026, 6, 15, 9, 0)),  # Saturday: Monday
    ],
)
def test_next_working_time_in_the_users_zone(rep, local, expected):
    tz = localization.ZoneInfo("America/New_York")
    user = _user(rep, "America/New_York")
    moment = datetime.datetime(*local, tzinfo=tz).astimezone(datetime.UTC)
    assert localization.next_working_time(user, moment) == datetime.datetime(*expected, tzinfo=tz)


def test_an_admin_sets_a_users_language_zone_and_working_hours_in_the_admin(client, admin, rep):
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[rep.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert ("Asia/Tokyo", "Asia/Tokyo") in form.fields["time_zone"].choices
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions", "last_login", "date_joined")
    }
    data.update(
        username=rep.username,
        role=rep.role,
        language="de",
        time_zone="Asia/Tokyo",
        workday_start="08:00",
        workday_end="16:30",
        date_joined_0="2026-01-05",
        date_joined_1="09:00:00",
    )
    if rep.team_id:
        data["team"] = rep.team_id
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    rep.refresh_from_db()
    assert (rep.language, rep.time_zone, rep.workday_start.isoformat(), rep.workday_end.isoformat()) == (
        "de",
        "Asia/Tokyo",
        "08:00:00",
        "16:30:00",
    )


def test_the_admin_refuses_a_time_zone_that_is_not_on_the_list(client, admin, rep):
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[rep.pk])
    response = client.post(url, {"username": rep.username, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
    rep.refresh_from_db()
    assert rep.time_zone != "Mars/Olympus"
