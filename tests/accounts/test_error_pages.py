"""Our 400, 403, 404, 500 and stale-form (CSRF) pages, with DEBUG off, in the viewer's language."""

import pytest
from django.template import loader
from django.test import Client

from tests import factories


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.accounts.error_urls"


def assert_our_page(response, status, heading):
    html = response.content.decode()
    assert response.status_code == status
    assert f'data-status="{status}"' in html
    assert f"<h1>{heading}</h1>" in html
    assert "/static/css/app.css" in html  # the product's look, not Django's bare page
    return html


def test_404_for_an_unknown_address(client, rep):
    client.force_login(rep)
    html = assert_our_page(client.get("/no-such-page/"), 404, "Page not found")
    assert 'class="topbar"' in html  # the navigation of a logged-in user
    assert 'href="/board/"' in html


def test_404_for_an_anonymous_visitor_offers_the_login(client, db):
    html = assert_our_page(client.get("/no-such-page/"), 404, "Page not found")
    assert 'href="/accounts/login/"' in html
    assert 'class="topbar"' not in html


def test_404_for_a_deal_out_of_scope(client, rep, outsider):
    deal = factories.DealFactory(owner=outsider)
    client.force_login(rep)
    assert_our_page(client.get(f"/deals/{deal.pk}/"), 404, "Page not found")


def test_403_shows_the_reason(client, rep):
    client.force_login(rep)
    html = assert_our_page(client.get("/fail/403/"), 403, "Not allowed")
    assert "You may not change this lead." in html


def test_400_page(client, rep):
    client.force_login(rep)
    assert_our_page(client.get("/fail/400/"), 400, "Bad request")


def test_400_page_for_a_foreign_host_name(client, db):
    assert_our_page(client.get("/accounts/login/", HTTP_HOST="evil.example"), 400, "Bad request")


def test_500_page(rep):
    client = Client(raise_request_exception=False)
    client.force_login(rep)
    html = assert_our_page(client.get("/fail/500/"), 500, "Something went wrong")
    assert "It has been logged" in html


def test_500_page_renders_without_request_context_processors_or_database():
    # No `db` fixture: any query would fail this test.
    html = loader.get_template("500.html").render()
    assert 'data-status="500"' in html
    assert "Something went wrong" in html


def test_a_stale_form_says_to_reload(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post(
        "/accounts/preferences/", {"last_name": "X"}, HTTP_REFERER="http://testserver/accounts/preferences/"
    )
    html = assert_our_page(response, 403, "The form has expired")
    assert "Reload the page and send the form again." in html
    assert 'href="http://testserver/accounts/preferences/"' in html
    rep.refresh_from_db()
    assert rep.last_name == "Adams"  # nothing saved


def test_a_stale_login_form_reloads_the_login_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": "x"})
    html = assert_our_page(response, 403, "The form has expired")
    assert 'href="/accounts/login/"' in html


def test_the_reload_link_never_leads_to_another_site(rep):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post("/accounts/preferences/", {}, HTTP_REFERER="https://evil.example/phish")
    html = assert_our_page(response, 403, "The form has expired")
    assert "evil.example" not in html
    assert 'href="/accounts/preferences/"' in html


@pytest.mark.parametrize(
    ("url", "status"), [("/no-such-page/", 404), ("/fail/403/", 403), ("/fail/400/", 400), ("/fail/500/", 500)]
)
def test_error_pages_follow_the_language(rep, url, status):
    client = Client(raise_request_exception=False)
    client.force_login(rep)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == status
    assert '<html lang="de"' in response.content.decode()


def test_the_stale_form_page_follows_the_language(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    assert '<html lang="de"' in response.content.decode()


def test_error_pages_carry_no_inline_script_or_style(client, rep):
    client.force_login(rep)
    for url in ("/no-such-page/", "/fail/403/", "/fail/400/"):
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert "<script>" not in html
    html = loader.get_template("500.html").render()
    assert "style=" not in html and "<script" not in html
