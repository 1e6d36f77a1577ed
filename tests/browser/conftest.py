"""Browser tests: real Chromium from Debian's package, driven by Playwright against live_server."""

import os
import shutil
import time

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from tests.mail.conftest import (  # noqa: F401 (the mail server's fixtures)
    connect_mailbox,
    mail_server,
    mail_settings,
    server_account,
)
from tests.testenv import IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium is required under CI=true but {CHROMIUM} does not exist (apt-get install chromium).")
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "en-GB"}


@pytest.fixture
def login(live_server):
    """login(page, user): sign `user` in by planting a session cookie (the login form has its own test)."""

    def _login(page, user):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.UserWithTeamBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
        )
        return page

    return _login


@pytest.fixture(autouse=True)
def _database_outlives_the_page(transactional_db):
    """After each browser test the database is flushed with one TRUNCATE over all tables. Set up before
    the page, this fixture makes the flush wait until the page is closed; left to fixture order, a test
    whose first database fixture came after `page` flushed while its page was still polling, and a board
    request taking its table locks in another order ended the TRUNCATE as a deadlock. The page is closed
    first, then no other session of the test database may be running a statement (seen twice in a row)."""
    yield
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 15
    quiet_checks = 0
    while quiet_checks < 2 and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'"
            )
            busy = cursor.fetchone()[0]
        quiet_checks = quiet_checks + 1 if busy == 0 else 0
        time.sleep(0.05)
