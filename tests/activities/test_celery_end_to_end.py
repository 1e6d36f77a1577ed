"""End to end: a real Celery worker and beat (separate processes) against Redis and the
PostgreSQL test database turn an activity due now into one notification and one e-mail."""

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from activities.models import Notification, OutgoingEmail
from tests import factories
from tests.activities.conftest import mails_in, subprocess_env
from tests.testenv import IN_CI

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own, flushed at the start, so that leftovers of other tests cannot interfere.
BROKER_URL = "redis://127.0.0.1:6379/5"
DEADLINE_SECONDS = 30

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_broker():
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but {BROKER_URL} is not reachable.")
        pytest.skip(f"needs Redis at {BROKER_URL}")
    yield BROKER_URL
    client.flushdb()
    client.close()


@pytest.fixture
def celery_processes(redis_broker, tmp_path):
    """Start one worker and one beat; the beat runs the reminder service every 2 seconds."""
    mail_dir = tmp_path / "mail"
    env = subprocess_env(mail_dir, CELERY_BROKER_URL=redis_broker, CRM_REMINDER_INTERVAL_SECONDS="2")
    celery = [sys.executable, "-m", "celery", "-A", "pipeline_crm"]
    logs = {name: open(tmp_path / f"{name}.log", "w+") for name in ("worker", "beat")}  # noqa: SIM115
    processes = {
        "worker": subprocess.Popen(
            [*celery, "worker", "--pool=solo", "--without-mingle", "--without-gossip", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
        "beat": subprocess.Popen(
            [*celery, "beat", "--schedule", str(tmp_path / "beat-schedule"), "--max-interval=1", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=logs["beat"],
            stderr=subprocess.STDOUT,
        ),
    }
    yield mail_dir, processes, logs
    for process in processes.values():
        process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in logs.values():
        log.close()


def logs_text(logs):
    text = []
    for name, log in logs.items():
        log.flush()
        log.seek(0)
        text.append(f"--- {name} ---\n{log.read()[-3000:]}")
    return "\n".join(text)


def test_activity_due_now_is_reminded_once_by_worker_and_beat(rep, celery_processes):
    mail_dir, processes, logs = celery_processes
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    activity = factories.ActivityFactory(deal=deal, subject="Call Acme now", due_at=timezone.now())

    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_SECONDS:
        if OutgoingEmail.objects.filter(sent_at__isnull=False).exists() and mails_in(mail_dir):
            break
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited early\n{logs_text(logs)}"
        time.sleep(0.5)
    else:
        pytest.fail(f"No reminder within {DEADLINE_SECONDS} s\n{logs_text(logs)}")

    # Beat keeps enqueueing the service every 2 seconds; none of those runs may repeat the reminder.
    time.sleep(timedelta(seconds=5).total_seconds())
    assert Notification.objects.filter(activity=activity, kind=Notification.Kind.REMINDER).count() == 1
    messages = mails_in(mail_dir)
    assert len(messages) == 1, logs_text(logs)
    assert messages[0]["To"] == "alice@example.com"
    assert "Call Acme now" in messages[0]["Subject"]
    assert "activities.send_due_reminders" in logs_text(logs)
