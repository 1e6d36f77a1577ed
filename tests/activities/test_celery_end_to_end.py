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

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 30

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def start_celery(tmp_path, broker_url, *, workers=1, beats=1):
    """Start worker and beat processes; each beat runs the reminder service every 2 seconds."""
    mail_dir = tmp_path / "mail"
    env = subprocess_env(mail_dir, CELERY_BROKER_URL=broker_url, CRM_REMINDER_INTERVAL_SECONDS="2")
    celery = [sys.executable, "-m", "celery", "-A", "pipeline_crm"]
    commands = {
        f"worker{i}": [
            *celery,
            "worker",
            "--pool=solo",
            f"--hostname=worker{i}@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ]
        for i in range(workers)
    }
    commands |= {
        f"beat{i}": [
            *celery,
            "beat",
            f"--schedule={tmp_path / f'beat{i}-schedule'}",
            "--max-interval=1",
            "--loglevel=INFO",
        ]
        for i in range(beats)
    }
    logs = {name: open(tmp_path / f"{name}.log", "w+") for name in commands}  # noqa: SIM115
    processes = {
        name: subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        for name, command in commands.items()
    }
    return mail_dir, processes, logs


def stop_celery(processes, logs):
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


@pytest.fixture
def celery_processes(request, worker_broker, tmp_path):
    """Workers and beats on the worker tests' own Redis database (tests/workers.py)."""
    workers, beats = getattr(request, "param", (1, 1))
    mail_dir, processes, logs = start_celery(tmp_path, worker_broker, workers=workers, beats=beats)
    yield mail_dir, processes, logs
    stop_celery(processes, logs)


def wait_for_the_reminder(mail_dir, processes, logs):
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_SECONDS:
        if OutgoingEmail.objects.filter(sent_at__isnull=False).exists() and mails_in(mail_dir):
            return time.monotonic() - started
        for name, process in processes.items():
            assert process.poll() is None, f"{name} exited early\n{logs_text(logs)}"
        time.sleep(0.5)
    pytest.fail(f"No reminder within {DEADLINE_SECONDS} s\n{logs_text(logs)}")


def assert_reminded_once(activity, mail_dir, logs):
    assert Notification.objects.filter(activity=activity, kind=Notification.Kind.REMINDER).count() == 1
    messages = mails_in(mail_dir)
    assert len(messages) == 1, logs_text(logs)
    assert messages[0]["To"] == "alice@example.com"
    assert "Call Acme now" in messages[0]["Subject"]
    # The service ran again after the reminder went out (beat every 2 seconds), sending nothing.
    assert logs_text(logs).count("activities.send_due_reminders[") >= 4, logs_text(logs)


def test_activity_due_now_is_reminded_once_by_worker_and_beat(rep, celery_processes):
    mail_dir, processes, logs = celery_processes
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    activity = factories.ActivityFactory(deal=deal, subject="Call Acme now", due_at=timezone.now())

    wait_for_the_reminder(mail_dir, processes, logs)

    # Beat keeps enqueueing the service every 2 seconds; none of those runs may repeat the reminder.
    time.sleep(5)
    assert_reminded_once(activity, mail_dir, logs)


@pytest.mark.parametrize("celery_processes", [(2, 2)], indirect=True, ids=["2-workers-2-beats"])
def test_two_beats_and_two_workers_still_remind_once(rep, celery_processes):
    mail_dir, processes, logs = celery_processes
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    activity = factories.ActivityFactory(deal=deal, subject="Call Acme now", due_at=timezone.now())

    wait_for_the_reminder(mail_dir, processes, logs)

    time.sleep(5)
    assert_reminded_once(activity, mail_dir, logs)


def test_an_activity_with_its_own_reminder_time_is_reminded_by_worker_and_beat(rep, celery_processes):
    """Due in 50 minutes: the assignee's 15 minutes are far off, the activity's own hour has come."""
    mail_dir, processes, logs = celery_processes
    deal = factories.DealFactory(owner=rep, title="Acme rollout")
    activity = factories.ActivityFactory(
        deal=deal, subject="Call Acme now", due_at=timezone.now() + timedelta(minutes=50), remind_before_minutes=60
    )
    factories.ActivityFactory(deal=deal, subject="Not yet", due_at=timezone.now() + timedelta(minutes=50))

    wait_for_the_reminder(mail_dir, processes, logs)

    time.sleep(5)
    assert_reminded_once(activity, mail_dir, logs)
