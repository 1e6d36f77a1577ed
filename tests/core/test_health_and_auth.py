import pytest
from django.urls import reverse

from tests import factories


def test_healthz_answers_200_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_liveness_answers_ok_without_login_database_or_session(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert not response.wsgi_request.session.accessed
    assert "no-cache" in response["Cache-Control"]


def test_liveness_is_exempt_from_the_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz/live").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_root_redirects_to_board(client, rep):
    client.force_login(rep)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:board")


@pytest.mark.parametrize(
    "url",
    ["/", "/board/", "/leads/", "/activities/", "/dashboard/", "/accounts/preferences/"],
)
def test_every_page_requires_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_deal_detail_requires_login(client, db):
    deal = factories.DealFactory()
    response = client.get(reverse("deals:detail", args=[deal.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_public_and_carries_a_strict_csp(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'nonce-" in script_src
    assert "unsafe-inline" not in script_src


def test_login_with_demo_credentials(client, db):
    user = factories.UserFactory(username="rep1")
    user.set_password("demo")
    user.save()
    response = client.post("/accounts/login/", {"username": "rep1", "password": "demo"})
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:board")


@pytest.mark.parametrize("url", ["/board/", "/leads/", "/activities/", "/dashboard/"])
def test_navigation_pages_render_for_a_rep(client, rep, url):
    client.force_login(rep)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Board", "Leads", "Activities", "Dashboard"):
        assert f">{label}</a>" in html
    assert reverse("admin:index") not in html


def test_navigation_shows_admin_link_to_admins(client, admin):
    client.force_login(admin)
    assert reverse("admin:index") in client.get("/board/").content.decode()


def test_htmx_requests_carry_the_csrf_token(client, rep):
    client.force_login(rep)
    html = client.get("/board/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_preferences_reject_an_unknown_time_zone(client, rep):
    client.force_login(rep)
    response = client.post(
        "/accounts/preferences/",
        {"last_name": "Adams", "time_zone": "Mars/Olympus", "reminder_lead_minutes": 15, "digest_hour": 7},
    )
    assert response.status_code == 400  # the form again, with its message
    assert "Unknown time zone" in response.content.decode()
    rep.refresh_from_db()
    assert rep.time_zone == ""


def test_preferences_save(client, rep):
    client.force_login(rep)
    response = client.post(
        "/accounts/preferences/",
        {"last_name": "Adams", "time_zone": "Europe/Vienna", "reminder_lead_minutes": 30, "digest_hour": 8},
    )
    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.time_zone, rep.reminder_lead_minutes, rep.digest_hour, rep.digest_enabled) == (
        "Europe/Vienna",
        30,
        8,
        False,
    )
