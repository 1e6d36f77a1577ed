"""Fixtures for the activity tests (the cast comes from tests/conftest.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.workers import worker_broker  # noqa: F401 (a fixture of the tests that kill workers)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def deal(rep):
    return factories.DealFactory(owner=rep, title="Acme rollout")


@pytest.fixture
def lead(rep):
    return factories.LeadFactory(owner=rep, first_name="Lena", last_name="Lange", company_name="Lange KG")


@pytest.fixture
def due_activity(deal, now):
    """Alice's call due in 10 minutes: inside her default 15-minute lead time."""
    return factories.ActivityFactory(deal=deal, subject="Call Acme", due_at=now + timedelta(minutes=10))


def record_change(deal, kind, *, to_stage=None, from_stage=None, at=None, status=None):
    """Append the history row a deal service (or an import) writes, and update the deal like it."""
    from deals.models import Deal, LostReason, StageChange

    at = at or timezone.now()
    to_stage = to_stage or deal.stage
    if kind == StageChange.Kind.WON:
        Deal.objects.filter(pk=deal.pk).update(status="won", won_at=at)
    elif kind == StageChange.Kind.LOST:
        reason, _ = LostReason.objects.get_or_create(name="Price too high")
        Deal.objects.filter(pk=deal.pk).update(
            status="lost", lost_at=at, lost_reason=reason, lost_from_stage=deal.stage
        )
    else:
        Deal.objects.filter(pk=deal.pk).update(stage=to_stage, stage_entered_at=at)
    deal.refresh_from_db()
    return StageChange.objects.create(
        deal=deal,
        pipeline_id=deal.pipeline_id,
        kind=kind,
        from_stage=from_stage,
        to_stage=to_stage,
        to_status=status or deal.status,
        owner_id=deal.owner_id,
        value=deal.value,
        at=at,
    )


def subprocess_env(mail_dir, **extra):
    """The environment for a Django process on the test database (another process sees only
    committed rows, so its tests use transactional_db)."""
    import os
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    env = {
        **os.environ,
        "CRM_MODE": "embedded",
        "DATABASE_URL": url,
        "CACHE_URL": "locmem://",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DJANGO_SETTINGS_MODULE": "pipeline_crm.settings",
        **extra,
    }
    env.pop("SQLITE_TEST_NAME", None)
    return env


def mails_in(mail_dir):
    """The messages the file-based backend wrote (one file per connection, messages separated)."""
    import email

    messages = []
    if not mail_dir.exists():
        return messages
    separator = "-" * 79
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_text().split(separator):
            if chunk.strip():
                messages.append(email.message_from_string(chunk.strip()))
    return messages


@pytest.fixture(autouse=True)
def default_data(db):
    """What the data migrations create, again (idempotent): a transactional test, or a
    reused test database after one, starts from a flushed database."""
    from activities.defaults import ensure_default_rules
    from activities.models import FollowUpRule
    from deals.defaults import ensure_defaults
    from deals.models import LostReason, Pipeline, Stage

    ensure_defaults(Pipeline, Stage, LostReason)
    ensure_default_rules(FollowUpRule, Stage)
