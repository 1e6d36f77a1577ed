"""Login throttling with django-axes: 5 failed logins per user name, and separately per client
IP, refuse even the right password until the cool-off has passed or an admin unlocks."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests import factories

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "the-right-password-42"
LOCKED = "Too many failed login attempts"


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice", password=PASSWORD)


def log_in(client, username, password, *, url=LOGIN, ip="198.51.100.1", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(client, username, times, **kwargs):
    return [log_in(client, username, "wrong", **kwargs) for _ in range(times)]


def is_logged_in(client):
    return SESSION_KEY in client.session


def age_attempts(minutes):
    """What waiting does: the recorded failures become `minutes` older."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))


def test_four_failures_still_let_the_right_password_in(client, alice):
    responses = fail(client, "alice", 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert "correct username and password" in responses[-1].content.decode()
    assert log_in(client, "alice", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_the_fifth_failure_locks_and_says_so(client, alice):
    fifth = fail(client, "alice", 5)[-1]
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()


def test_lockout_refuses_the_right_password_with_the_form_and_a_clear_message(client, alice):
    fail(client, "alice", 5)
    response = log_in(client, "alice", PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response["Content-Type"].startswith("text/html")
    assert 'role="alert"' in html and LOCKED in html
    assert "blocked for 15 minutes, even with the right password" in html
    assert 'name="username"' in html and 'name="password"' in html  # our login page, re-rendered
    assert 'href="/accounts/password_reset/"' in html
    assert not is_logged_in(client)


def test_the_user_name_is_locked_whatever_the_ip(client, alice):
    for i in range(5):
        log_in(client, "alice", "wrong", ip=f"198.51.100.{10 + i}")
    assert log_in(client, "alice", PASSWORD, ip="203.0.113.77").status_code == 429
    assert not is_logged_in(client)


def test_the_ip_is_locked_whatever_the_user_name(client, alice):
    bob = factories.UserFactory(username="bob", password=PASSWORD)
    for name in ("carol", "dave", "erin", "frank", "grace"):
        log_in(client, name, "wrong", ip="198.51.100.1")
    assert log_in(client, "bob", PASSWORD, ip="198.51.100.1").status_code == 429
    assert not is_logged_in(client)
    # Another network is not affected, nor are these user names elsewhere.
    assert log_in(client, bob.username, PASSWORD, ip="203.0.113.5").status_code == 302
    assert is_logged_in(client)


def test_the_lockout_ends_by_itself_after_the_cool_off(client, alice):
    fail(client, "alice", 5)
    age_attempts(14)
    assert log_in(client, "alice", PASSWORD).status_code == 429
    age_attempts(1)
    assert log_in(client, "alice", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_failures_further_apart_than_the_cool_off_are_forgotten(client, alice):
    fail(client, "alice", 4)
    age_attempts(16)
    fail(client, "alice", 4)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_attempts_during_the_lockout_do_not_extend_it(client, alice):
    fail(client, "alice", 5)
    age_attempts(10)
    assert [r.status_code for r in fail(client, "alice", 3)] == [429] * 3
    age_attempts(5)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_cool_off_and_limit_follow_the_settings(client, alice, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    settings.AXES_FAILURE_LIMIT = 3
    fail(client, "alice", 3)
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "blocked for 30 minutes" in response.content.decode()
    age_attempts(20)
    assert log_in(client, "alice", PASSWORD).status_code == 429
    age_attempts(11)
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_admin_login_is_throttled_too(client, admin):
    admin.set_password(PASSWORD)
    admin.save()
    fail(client, "ada", 5, url=ADMIN_LOGIN)
    response = log_in(client, "ada", PASSWORD, url=ADMIN_LOGIN)
    html = response.content.decode()
    assert response.status_code == 429
    assert LOCKED in html
    assert 'id="login-form"' in html  # the admin's own login page
    assert not is_logged_in(client)


def test_failures_on_either_login_page_count_together(client, alice):
    fail(client, "alice", 3, url=ADMIN_LOGIN)
    fail(client, "alice", 2)
    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_failed_attempts_are_listed_in_admin(client, alice, admin):
    fail(client, "alice", 2, ip="198.51.100.1")
    fail(client, "alice", 1, ip="198.51.100.2")
    client.force_login(admin)
    attempts = client.get(reverse("admin:axes_accessattempt_changelist"))
    failures = client.get(reverse("admin:axes_accessfailurelog_changelist"))
    assert attempts.status_code == failures.status_code == 200
    assert "198.51.100.1" in attempts.content.decode() and "198.51.100.2" in attempts.content.decode()
    assert sorted(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("198.51.100.1", 2),
        ("198.51.100.2", 1),
    ]
    assert AccessFailureLog.objects.filter(username="alice").count() == 3
    assert "3 access failures" in failures.content.decode()
    # The passwords tried are not stored.
    assert not AccessAttempt.objects.filter(post_data__contains="wrong").exists()


def test_an_admin_unlocks_by_deleting_the_attempts_in_admin(client, alice, admin):
    fail(client, "alice", 5)
    admin_client = Client()  # the admin's own browser
    admin_client.force_login(admin)
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True)]
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_unlock_command_unlocks_a_user_name(client, alice):
    fail(client, "alice", 5)
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_a_spoofed_forwarded_for_does_not_escape_the_ip_lockout(client, alice):
    for i, name in enumerate(("carol", "dave", "erin", "frank", "grace")):
        log_in(client, name, "wrong", ip="198.51.100.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}
    assert log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200").status_code == 429


def test_behind_a_trusted_proxy_the_lockout_counts_the_client_not_the_proxy(client, alice, settings):
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    proxy = "10.0.0.2"
    for i, name in enumerate(("carol", "dave", "erin", "frank", "grace")):
        # A spoofed leftmost entry; the proxy appended the real client address.
        log_in(client, name, "wrong", ip=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert log_in(client, "alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert log_in(client, "alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 302


def test_the_lockout_page_follows_the_language(client, alice):
    fail(client, "alice", 5)
    response = log_in(client, "alice", PASSWORD, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 429
    assert '<html lang="de"' in response.content.decode()


def test_the_test_client_login_and_force_login_still_work(client, alice):
    assert client.login(username="alice", password=PASSWORD)
    assert client.get("/board/").status_code == 200
    client.logout()
    client.force_login(alice)
    assert client.get("/board/").status_code == 200
