"""Password change for a logged-in user: Django's view and validators, our templates."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests import factories

CHANGE = "/accounts/password_change/"
OLD_PASSWORD = "the-old-password-42"
NEW_PASSWORD = "a-fresh-Passphrase-2026"


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice", password=OLD_PASSWORD)


def change(client, old, new, again=None):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_preferences_and_the_user_menu_link_to_the_change(client, alice):
    client.force_login(alice)
    preferences = client.get("/accounts/preferences/").content.decode()
    board = client.get("/board/").content.decode()
    assert f'href="{CHANGE}"' in preferences
    assert f'href="{CHANGE}"' in board  # the user menu of every page


def test_change_password_flow(client, alice):
    client.force_login(alice)
    page = client.get(CHANGE)
    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()

    response = change(client, OLD_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert "Your password has been changed" in client.get(response["Location"]).content.decode()
    assert client.get("/board/").status_code == 200  # still logged in here

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_other_sessions_end_with_the_change(client, alice):
    other_browser = Client()
    other_browser.force_login(alice)
    client.force_login(alice)
    change(client, OLD_PASSWORD, NEW_PASSWORD)
    response = other_browser.get("/board/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in other_browser.session


def test_the_current_password_is_required(client, alice):
    client.force_login(alice)
    response = change(client, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(OLD_PASSWORD)


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("password", None, "This password is too common"),
        ("x7Q!", None, "This password is too short"),
        ("12345678901", None, "This password is entirely numeric"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "The two password fields didn"),
    ],
)
def test_the_new_password_must_pass_the_validators(client, alice, new, again, message):
    client.force_login(alice)
    response = change(client, OLD_PASSWORD, new, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(OLD_PASSWORD)


def test_the_change_page_renders_in_german(client, alice):
    client.force_login(alice)
    html = client.get(CHANGE, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de"' in html
    assert "Das Passwort muss mindestens 8 Zeichen enthalten." in html
