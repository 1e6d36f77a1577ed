"""The profile on the preferences page: name, e-mail, signature and the avatar's colour — stored,
validated, and used wherever the user's initials or e-mails appear."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts import avatar
from accounts.models import User
from tests import factories

URL = reverse("accounts:preferences")


def profile(**changes):
    data = {
        "first_name": "Alice",
        "last_name": "Adams",
        "email": "alice@example.com",
        "email_signature": "Alice Adams\nVertrieb Nord",
        "avatar_color": "#0a7f5a",
        "reminder_lead_minutes": 15,
        "digest_hour": 7,
        "language": "",
        "time_zone": "",
    }
    return data | changes


def test_every_palette_colour_keeps_white_initials_readable():
    for colour in avatar.PALETTE:
        assert avatar.contrast_with_white(colour) >= 4.5, colour


def test_the_stylesheet_has_the_palette_in_the_same_order():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    found = dict(re.findall(r"\.avatar-c(\d+) \{ background: (#[0-9a-f]{6}); \}", css))
    assert [found[str(i)] for i in range(len(avatar.PALETTE))] == list(avatar.PALETTE)


def test_the_palette_colour_is_stable_and_spreads_over_names():
    names = ["alice", "bob", "charlie", "maria", "mark", "ada", "rep1", "rep2", "manager", "admin"]
    first = [avatar.palette_color(name) for name in names]
    assert first == [avatar.palette_color(name) for name in names]
    assert len(set(first)) >= 4


def test_a_light_chosen_colour_gets_dark_initials(db):
    light = User(username="lia", avatar_color="#f5f5a0")
    dark = User(username="dan", avatar_color="#123456")
    assert "avatar-dark-text" in avatar.avatar_html(light)
    assert "avatar-dark-text" not in avatar.avatar_html(dark)


def test_a_user_saves_name_email_signature_and_colour(client, rep):
    client.force_login(rep)
    response = client.post(URL, profile())
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.first_name, rep.last_name, rep.email) == ("Alice", "Adams", "alice@example.com")
    assert rep.email_signature == "Alice Adams\nVertrieb Nord"
    assert rep.avatar_color == "#0a7f5a"


def test_colour_from_my_name_keeps_the_stored_colour_empty(client, rep):
    rep.avatar_color = "#0a7f5a"
    rep.save()
    client.force_login(rep)
    assert client.post(URL, profile(avatar_from_name="on")).status_code == 302
    rep.refresh_from_db()
    assert rep.avatar_color == ""


def test_the_form_offers_the_names_colour_when_none_was_chosen(client, rep):
    client.force_login(rep)
    form = client.get(URL).context["form"]
    assert form.initial["avatar_from_name"] is True
    assert form["avatar_color"].value() == avatar.palette_color(rep.username)


@pytest.mark.parametrize("junk", ["red", "#12345", "#12345g", "javascript:alert(1)"])
def test_a_colour_that_is_not_rrggbb_comes_back_with_a_message(client, rep, junk):
    client.force_login(rep)
    response = client.post(URL, profile(avatar_color=junk))
    assert response.status_code == 400
    assert response.context["form"].errors["avatar_color"]
    assert "Your preferences were not saved." in response.content.decode()
    rep.refresh_from_db()
    assert rep.avatar_color == ""


def test_a_colour_without_the_hash_names_the_format(client, rep):
    client.force_login(rep)
    response = client.post(URL, profile(avatar_color="0a7f5a"))
    assert "six hexadecimal digits" in response.content.decode()


def test_a_bad_email_comes_back_with_a_message(client, rep):
    client.force_login(rep)
    response = client.post(URL, profile(email="not an address"))
    assert response.status_code == 400
    rep.refresh_from_db()
    assert rep.email != "not an address"


def test_the_user_menu_shows_the_chosen_colour(client, rep):
    rep.avatar_color = "#0a7f5a"
    rep.save()
    client.force_login(rep)
    html = client.get(URL).content.decode()
    assert 'data-avatar-color="#0a7f5a"' in html


def test_without_a_choice_the_user_menu_uses_the_palette_class(client, rep):
    client.force_login(rep)
    html = client.get(URL).content.decode()
    assert f'class="avatar avatar-c{avatar.palette_index(rep.username)}"' in html
    assert "data-avatar-color" not in html


def test_board_cards_show_the_owners_colour(client, rep, stages):
    rep.avatar_color = "#0a7f5a"
    rep.save()
    factories.DealFactory(owner=rep, stage=stages[0])
    client.force_login(rep)
    html = client.get(reverse("deals:board")).content.decode()
    assert html.count('data-avatar-color="#0a7f5a"') >= 2  # the user menu and the card


def test_compose_and_reply_start_with_the_profile_signature(client, rep):
    rep.email_signature = "Alice Adams\nVertrieb Nord"
    rep.save()
    client.force_login(rep)
    form = client.get(reverse("mail:compose")).context["form"]
    assert form.initial["body"] == "-- \nAlice Adams\nVertrieb Nord"


def test_without_a_signature_compose_starts_empty(client, rep):
    client.force_login(rep)
    form = client.get(reverse("mail:compose")).context["form"]
    assert form.initial["body"] == ""
