import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_rep_logs_in_and_sees_the_navigation(page, live_server, transactional_db):
    user = factories.UserFactory(username="rep1")
    user.set_password("demo")
    user.save()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/board/"))
    nav = page.get_by_role("navigation", name="Main")
    for entry in ("Board", "Leads", "Activities", "Dashboard"):
        expect(nav.get_by_role("link", name=entry, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Admin", exact=True)).to_have_count(0)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "login-board.png", full_page=True)
    assert (SCREENSHOTS / "login-board.png").stat().st_size > 1000


def test_wrong_password_shows_an_error(page, live_server, transactional_db):
    factories.UserFactory(username="rep1", password="demo-password")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")


def test_five_wrong_passwords_lock_the_login_with_a_visible_message(page, live_server, transactional_db):
    factories.UserFactory(username="rep1", password="demo-password")
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("Username").fill("rep1")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    page.get_by_label("Username").fill("rep1")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("even with the right password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "login-locked.png", full_page=True)


@pytest.fixture
def eager_celery():
    from pipeline_crm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_forgotten_password_link_leads_to_the_sent_page(page, live_server, transactional_db, eager_celery):
    factories.UserFactory(username="rep1", email="rep1@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("E-mail address").fill("rep1@example.com")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert [message.to for message in mail.outbox] == [["rep1@example.com"]]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "password-reset-sent.png", full_page=True)
