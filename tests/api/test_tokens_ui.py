"""The preferences' personal access tokens: create (shown once), list, revoke; the admins'
overview; the Django admin's read-only view with its revoke action."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api import tokens
from api.models import ApiToken
from tests.api.helpers import ApiClient, is_problem

pytestmark = pytest.mark.django_db

URL = "/accounts/tokens/"


def _create(client, **data):
    return client.post(URL, {"name": "Zapier", "scope": "write", "expires_on": "", **data})


def _raw_from(response):
    return response.context["raw_token"]


def test_a_new_token_is_shown_once_and_works(client, rep):
    client.force_login(rep)
    response = _create(client)
    assert response.status_code == 200
    raw = _raw_from(response)
    assert raw.startswith("pcrm_") and raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=rep)
    assert (token.name, token.scope) == ("Zapier", "write")
    assert ApiClient(raw=raw).get("/api/v1/deals/").status_code == 200
    again = client.get(URL)
    assert raw not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_the_list_shows_the_tokens_without_their_secret(client, rep):
    token, raw = tokens.token_create(user=rep, name="Nightly export", scope=ApiToken.Scope.READ)
    tokens.token_create(user=rep, name="Old script")
    client.force_login(rep)
    page = client.get(URL).content.decode()
    assert "Nightly export" in page and "Old script" in page and token.prefix in page
    assert raw not in page and raw.split("_")[-1] not in page and token.key_hash not in page


def test_the_list_shows_only_the_users_own_tokens(client, rep, teammate):
    tokens.token_create(user=teammate, name="Bobs script")
    client.force_login(rep)
    assert "Bobs script" not in client.get(URL).content.decode()


def test_an_expiry_sets_the_end_of_that_day(client, rep):
    client.force_login(rep)
    day = timezone.localdate() + timedelta(days=30)
    assert _create(client, expires_on=day.isoformat()).status_code == 200
    token = ApiToken.objects.get(user=rep)
    assert timezone.localtime(token.expires_at).date() == day


def test_an_expiry_in_the_past_is_refused(client, rep):
    client.force_login(rep)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = _create(client, expires_on=yesterday.isoformat())
    assert response.status_code == 400
    assert response.context["form"].errors["expires_on"]
    assert response.context["raw_token"] is None
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name_and_a_known_scope(client, rep):
    client.force_login(rep)
    response = _create(client, name="  ", scope="admin")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scope"}
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_and_then_stops_the_token(client, rep):
    token, raw = tokens.token_create(user=rep, name="Script")
    client.force_login(rep)
    url = f"/accounts/tokens/{token.pk}/revoke/"
    confirmation = client.get(url)
    assert confirmation.status_code == 200 and b"Script" in confirmation.content
    token.refresh_from_db()
    assert token.revoked_at is None
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == URL
    token.refresh_from_db()
    assert token.revoked_at is not None
    is_problem(ApiClient(raw=raw).get("/api/v1/deals/"), 401)
    assert b"Revoked" in client.get(URL).content


def test_another_users_token_is_404(client, rep, teammate, manager):
    token, _raw = tokens.token_create(user=teammate, name="Bobs script")
    url = f"/accounts/tokens/{token.pk}/revoke/"
    for user in (rep, manager):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_sees_and_revokes_every_users_tokens(client, rep, admin):
    token, _raw = tokens.token_create(user=rep, name="Alices script")
    client.force_login(admin)
    overview = client.get("/accounts/tokens/all/")
    assert overview.status_code == 200 and b"Alices script" in overview.content
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/accounts/tokens/all/"
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_overview_of_every_token_is_for_admins_only(client, rep, manager):
    for user in (rep, manager):
        client.force_login(user)
        assert client.get("/accounts/tokens/all/").status_code == 403


def test_the_preferences_link_to_the_tokens(client, rep):
    client.force_login(rep)
    assert b'href="/accounts/tokens/"' in client.get("/accounts/preferences/").content


def test_the_django_admin_shows_tokens_read_only_without_the_hash_and_revokes(client, rep, admin):
    token, _raw = tokens.token_create(user=rep, name="Alices script")
    client.force_login(admin)
    change = client.get(f"/admin/api/apitoken/{token.pk}/change/")
    assert change.status_code == 200
    assert token.key_hash not in change.content.decode()
    assert client.get("/admin/api/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk], "index": 0}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
