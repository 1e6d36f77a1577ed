"""The cast every test can use, named after their part in the permission rules:

- `rep` (alice) and `teammate` (bob) are reps in Team North;
- `outsider` (charlie) is a rep in Team South;
- `manager` (maria) manages Team North only;
- `manager_south` (mark) manages Team South only (a manager of another team);
- `admin` (ada) has the admin role.
"""

from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.utils import translation

from accounts.models import User
from analytics import filters
from tests import factories
from tests.testenv import IN_CI


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    _sqlite_file_for_the_live_server, django_db_modify_db_settings_parallel_suffix, request
):
    """pytest-django's hook before the test databases are created; the file name comes first, so
    that pytest-xdist's workers still get one file each (the suffix is added after it). Django
    removes the database file, not the write-ahead log beside it, which a connection left open at
    the end keeps; a new file next to an old log would read the old log's pages."""
    from django.conf import settings

    files = [Path(settings.DATABASES[alias]["TEST"]["NAME"]) for alias in _sqlite_file_for_the_live_server]
    if request.config.getvalue("reuse_db"):
        files = []  # --reuse-db keeps the file and its log
    _remove_write_ahead_logs(files)
    yield
    _remove_write_ahead_logs(files)


def _remove_write_ahead_logs(files):
    for path in files:
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def _sqlite_file_for_the_live_server(request):
    """On SQLite the test database lives in memory, where only one connection can see it: the live
    server hands the test thread's connection to every request thread. Chromium sends requests in
    parallel (the lead list's search-as-you-type and the header's search dropdown fire together),
    so two threads then run statements on one sqlite3 connection at once: a 500 with "bad parameter
    or other API misuse", or a lock-out that stops the whole process (one thread inside SQLite,
    holding the connection's mutex, calls the Python function search_fold and waits for the GIL;
    the other holds the GIL and waits for the mutex). When a selected test uses
    the live server (every browser test), the session's test database is a file under var/
    instead, as SQLITE_TEST_NAME would make it: each request thread opens its own connection, as
    the web process does in the embedded default. Runs without such a test stay in memory."""
    from django.conf import settings
    from django.db.backends.sqlite3.creation import DatabaseCreation

    switched = []
    if not any("live_server" in item.fixturenames for item in request.session.items):
        return switched
    for alias, db_settings in settings.DATABASES.items():
        test_name = db_settings.get("TEST", {}).get("NAME") or ":memory:"
        if db_settings["ENGINE"] == "django.db.backends.sqlite3" and DatabaseCreation.is_in_memory_db(test_name):
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            db_settings.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / f"test-live-server-{alias}.sqlite3")
            switched.append(alias)
    return switched


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.25 s per user on this machine; tests need no strong hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request with Accept-Language leaves its language active in the thread (LocaleMiddleware
    does not reset it); later tests in the same worker must start in the default language."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _content_type_cache_from_this_test():
    """Audit entries point at content types, which Django caches per process. A transactional
    test empties the tables (content types included) and a later test may create them anew
    inside its rolled-back transaction: a cached id can then name a row that is gone."""
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _dashboard_filter_choices_from_this_test():
    """The dashboard's stage and persona choices are cached until a stage or persona changes; a
    test's rolled-back rows change nothing, so the next test would see the previous one's."""
    cache.delete(filters.CHOICES_CACHE_KEY)


@pytest.fixture(autouse=True)
def _no_webhook_subscriptions_from_an_earlier_test():
    """Whether a commit asks for a webhook dispatch is a flag in the cache (events.services),
    set from the subscriptions; a rolled-back test's subscription must not leave it set."""
    from events.services import WANTED_KEY

    cache.delete(WANTED_KEY)
    yield
    cache.delete(WANTED_KEY)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Stored files (quote PDFs, outbox attachments, logos) go to a folder of this test session,
    never into the checkout's var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture
def queued_quote_mails(monkeypatch):
    """The arguments of every quote e-mail queued during the test (the e-mail is really queued in
    the outbox; the list lets a test read the link's token, which the database keeps only hashed)."""
    from quotes import delivery

    queued = []
    queue = delivery.queue_quote_email

    def recorded(**kwargs):
        queued.append(kwargs)
        return queue(**kwargs)

    monkeypatch.setattr(delivery, "queue_quote_email", recorded)
    return queued


@pytest.fixture
def team_north(db):
    return factories.TeamFactory(name="North")


@pytest.fixture
def team_south(db):
    return factories.TeamFactory(name="South")


@pytest.fixture
def rep(team_north):
    return factories.UserFactory(username="alice", first_name="Alice", last_name="Adams", team=team_north)


@pytest.fixture
def teammate(team_north):
    return factories.UserFactory(username="bob", first_name="Bob", last_name="Brown", team=team_north)


@pytest.fixture
def outsider(team_south):
    return factories.UserFactory(username="charlie", first_name="Charlie", last_name="Clark", team=team_south)


@pytest.fixture
def manager(team_north):
    user = factories.UserFactory(username="maria", first_name="Maria", last_name="Miller", role=User.Role.MANAGER)
    team_north.managers.add(user)
    return user


@pytest.fixture
def manager_south(team_south):
    user = factories.UserFactory(username="mark", first_name="Mark", last_name="Moore", role=User.Role.MANAGER)
    team_south.managers.add(user)
    return user


@pytest.fixture
def admin(db):
    return factories.UserFactory(
        username="ada", first_name="Ada", last_name="Admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True
    )


@pytest.fixture
def pipeline(db):
    return factories.default_pipeline()


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("order"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres"):
            item.fixturenames.append("_require_postgres")
        # A transactional test (every browser test, every django_db(transaction=True)) empties
        # the tables when it ends, the rows of data migrations too (pipelines, settings,
        # default rules). Serialized rollback puts them back before each such test, whatever
        # ran before it; a transactional test without it would re-create the content types
        # under new ids at its flush, and the next restore would collide with them.
        fixtures = set(item.fixturenames)
        marker = item.get_closest_marker("django_db")
        transactional = bool(fixtures & {"transactional_db", "live_server"}) or bool(
            marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
        )
        if transactional and "django_db_serialized_rollback" not in fixtures:
            item.fixturenames.append("django_db_serialized_rollback")


@pytest.fixture
def _require_postgres():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("This test needs PostgreSQL and CI=true: set DATABASE_URL to a PostgreSQL database.")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")
