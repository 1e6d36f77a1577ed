"""Password reset by e-mail: Django's tokens and views with our templates, the e-mail sent by the
worker (eager here, the real task code), the answer the same whether or not the address exists,
and a rate limit per client IP and per address in the shared cache."""

import re

import pytest
from celery.signals import task_prerun
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext

from accounts import services
from tests import factories

RESET = "/accounts/password_reset/"
OLD_PASSWORD = "the-old-password-42"
NEW_PASSWORD = "a-fresh-Passphrase-2026"
IPS = ("127.0.0.1", "198.51.100.1", "198.51.100.2")
ADDRESSES = ("alice@example.com", "nobody@example.com", "a@x.example", "b@x.example", "c@x.example", "d@x.example")


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Only our counters: in CI the cache is a Redis shared with the rest of the suite.
    keys = [services.rate_limit_key("password-reset-ip", ip) for ip in IPS]
    keys += [services.rate_limit_key("password-reset-address", address) for address in ADDRESSES]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def eager_celery():
    from pipeline_crm.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def alice(db, settings):
    settings.CRM_BASE_URL = "https://crm.example.com/"
    return factories.UserFactory(username="alice", first_name="Alice", email="alice@example.com", password=OLD_PASSWORD)


def request_reset(client, email, capture, **extra):
    with capture(execute=True) as callbacks:
        response = client.post(RESET, {"email": email}, **extra)
    return response, callbacks


def reset_link(message):
    match = re.search(r"https://crm\.example\.com(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def choose_password(client, link, password=NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_password_url = form_page.redirect_chain[-1][0]
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


def test_the_login_page_links_to_the_reset(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert f'href="{RESET}"' in html
    assert "Forgot your password?" in html


def test_the_full_reset_flow(client, alice, eager_celery, django_capture_on_commit_callbacks):
    page = client.get(RESET)
    assert page.status_code == 200
    assert 'name="email"' in page.content.decode()

    response, _ = request_reset(client, "Alice@Example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Reset your Pipeline CRM password"
    assert message.alternatives == []  # plain text only
    assert "Hello Alice," in message.body
    assert "Your user name is alice. The link works once and for 60 minutes." in message.body

    done = choose_password(client, reset_link(message))
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert "Your new password is set" in client.get(done["Location"]).content.decode()

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.post("/accounts/login/", {"username": "alice", "password": OLD_PASSWORD}).status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD}).status_code == 302


def test_the_link_works_once(client, alice, eager_celery, django_capture_on_commit_callbacks):
    request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    link = reset_link(mail.outbox[0])
    assert choose_password(client, link).status_code == 302

    again = client.get(link, follow=True)
    html = again.content.decode()
    assert again.status_code == 200
    assert "This link does not work" in html
    assert 'name="new_password1"' not in html
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_bad_token_shows_the_invalid_link_page(client, alice):
    response = client.get("/accounts/reset/MQ/not-a-token/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This link does not work" in html
    assert f'href="{RESET}"' in html  # ask for a new link
    assert 'name="new_password1"' not in html


def test_an_unknown_address_gets_the_same_answer_and_the_same_work(
    client, alice, eager_celery, django_capture_on_commit_callbacks
):
    known, known_tasks = request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    unknown, unknown_tasks = request_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # The request enqueues one task either way; only the worker finds out who gets mail.
    assert len(known_tasks) == len(unknown_tasks) == 1
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_the_request_only_enqueues_the_e_mail(client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(RESET, {"email": "alice@example.com"})
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_inactive_accounts_get_no_e_mail(client, alice, eager_celery, django_capture_on_commit_callbacks):
    alice.is_active = False
    alice.save()
    response, _ = request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert mail.outbox == []


def test_an_invalid_address_is_refused_with_a_message(client, db):
    response = client.post(RESET, {"email": "not-an-address"})
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_the_new_password_must_pass_the_validators(client, alice, eager_celery, django_capture_on_commit_callbacks):
    request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    response = choose_password(client, reset_link(mail.outbox[0]), password="password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common" in html
    alice.refresh_from_db()
    assert alice.check_password(OLD_PASSWORD)


def test_a_reset_ends_the_login_lockout_of_the_user_name(
    client, alice, eager_celery, django_capture_on_commit_callbacks
):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "alice", "password": OLD_PASSWORD}).status_code == 429
    request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    choose_password(client, reset_link(mail.outbox[0]))
    response = client.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert SESSION_KEY in client.session


def test_requests_per_address_are_limited_whether_or_not_it_exists(
    client, alice, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.CRM_PASSWORD_RESET_MAX_PER_ADDRESS = 2
    for address in ("alice@example.com", "nobody@example.com"):
        answers = [
            request_reset(client, address, django_capture_on_commit_callbacks, REMOTE_ADDR=ip)[0]
            for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.1")
        ]
        assert [a.status_code for a in answers] == [302, 302, 429]
        assert "Too many password reset requests. Please try again in 60 minutes." in answers[-1].content.decode()
    assert len(mail.outbox) == 2  # the mailbox got two e-mails, not more
    # Another address from the same client is still served.
    assert request_reset(client, "a@x.example", django_capture_on_commit_callbacks)[0].status_code == 302


def test_requests_per_client_ip_are_limited(client, db, settings, django_capture_on_commit_callbacks):
    settings.CRM_PASSWORD_RESET_MAX_PER_IP = 3
    statuses = [
        request_reset(client, address, django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.1")[0].status_code
        for address in ("a@x.example", "b@x.example", "c@x.example", "d@x.example")
    ]
    assert statuses == [302, 302, 302, 429]
    other = request_reset(client, "d@x.example", django_capture_on_commit_callbacks, REMOTE_ADDR="198.51.100.2")[0]
    assert other.status_code == 302


def test_the_e_mail_is_written_in_the_language_of_the_request(
    client, alice, eager_celery, django_capture_on_commit_callbacks
):
    languages = []

    def record(sender=None, task=None, kwargs=None, **_):
        languages.append(kwargs["language"])

    task_prerun.connect(record, weak=False)
    try:
        request_reset(client, "alice@example.com", django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="de")
    finally:
        task_prerun.disconnect(record)
    assert languages == ["de"]
    with translation.override("de"):
        assert mail.outbox[0].subject == gettext("Reset your Pipeline CRM password")


def test_a_refused_delivery_raises_so_that_the_task_retries(alice, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.activities.mail_backends.RefusingBackend"}}
    with pytest.raises(OSError, match="Connection unexpectedly closed"):
        services.password_reset_email_send(email="alice@example.com", language="en-gb")


@pytest.mark.parametrize("url", [RESET, "/accounts/password_reset/done/", "/accounts/reset/MQ/x/"])
def test_the_reset_pages_render_in_german(client, db, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de", follow=True)
    assert response.status_code == 200
    assert '<html lang="de"' in response.content.decode()


def test_the_new_password_page_renders_in_german(client, alice, eager_celery, django_capture_on_commit_callbacks):
    request_reset(client, "alice@example.com", django_capture_on_commit_callbacks)
    response = client.get(reset_link(mail.outbox[0]), HTTP_ACCEPT_LANGUAGE="de", follow=True)
    html = response.content.decode()
    assert '<html lang="de"' in html
    assert "Das Passwort muss mindestens 8 Zeichen enthalten." in html  # Django's validators, in German
