"""The user menu's language switch and the preferences' time zone filter in real Chromium, under
the Content Security Policy (no inline script: the filter is static/js/preferences.js)."""

import re

from playwright.sync_api import expect

from accounts.models import User
from tests import factories


def _violations(page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_the_user_menu_switches_to_german_and_back_on_the_same_page(page, live_server, login):
    rep = factories.UserFactory(username="rep1")
    errors = _violations(page)
    login(page, rep).goto(f"{live_server.url}/activities/?kind=call")
    expect(page.get_by_role("heading", level=1)).to_have_text("My activities")

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Deutsch").click()

    expect(page).to_have_url(re.compile(r"/activities/\?kind=call$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Aktivitäten")
    assert User.objects.get(pk=rep.pk).language == "de"

    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My activities")
    assert errors == []


def test_the_time_zone_is_found_by_typing_and_saved(page, live_server, login):
    rep = factories.UserFactory(username="rep1")
    errors = _violations(page)
    login(page, rep).goto(f"{live_server.url}/accounts/preferences/")

    page.get_by_test_id("select-filter").fill("tokyo")
    select = page.locator("select[name=time_zone]")
    expect(select).to_have_value("Asia/Tokyo")
    expect(select.locator("option:not([hidden])")).to_have_count(2)  # the installation's, and Tokyo
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Your preferences were saved.")
    assert User.objects.get(pk=rep.pk).time_zone == "Asia/Tokyo"

    # A chosen zone that no longer matches the filter gives way to the first match.
    page.get_by_test_id("select-filter").fill("new york")
    expect(page.locator("select[name=time_zone]")).to_have_value("America/New_York")
    assert errors == []
