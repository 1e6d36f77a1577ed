"""Exactly-once reminders under concurrency, on PostgreSQL (SKIP LOCKED and row locks).

Threads share nothing but the database; processes are real `manage.py` runs.
"""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from activities import services, tasks
from activities.models import Notification, OutgoingEmail
from tests import factories
from tests.activities.conftest import mails_in, subprocess_env
from tests.concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parents[2]
REMINDERS = 25


@pytest.fixture
def due_reminders(rep, teammate, now):
    deals = [factories.DealFactory(owner=owner) for owner in (rep, teammate)]
    return [
        factories.ActivityFactory(deal=deals[i % 2], due_at=now + timedelta(minutes=i % 10)) for i in range(REMINDERS)
    ]


def assert_exactly_one_per_reminder(activities, emails):
    notifications = Notification.objects.filter(kind=Notification.Kind.REMINDER)
    assert notifications.count() == REMINDERS
    assert sorted(notifications.values_list("activity_id", flat=True)) == sorted(a.pk for a in activities)
    subjects = sorted(m["subject"] if hasattr(m, "get") else m.subject for m in emails)
    assert len(subjects) == REMINDERS
    assert OutgoingEmail.objects.filter(sent_at__isnull=False).count() == REMINDERS


def test_concurrent_runs_send_one_reminder_each(due_reminders, now):
    run_in_threads(lambda: services.reminders_run(now=now + timedelta(minutes=10)))

    assert_exactly_one_per_reminder(due_reminders, mail.outbox)


def test_task_delivered_twice_at_once_sends_one_reminder_each(due_reminders):
    run_in_threads(lambda: tasks.send_due_reminders.apply(), count=2)

    assert_exactly_one_per_reminder(due_reminders, mail.outbox)


def test_two_beat_processes_send_one_reminder_each(due_reminders, tmp_path):
    # Two beats enqueue the same task twice per minute; each copy runs in its own worker process.
    env = subprocess_env(tmp_path / "mail")
    command = [sys.executable, "manage.py", "send_reminders"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=60) == 0, process.stderr.read().decode()

    assert_exactly_one_per_reminder(due_reminders, mails_in(tmp_path / "mail"))


DIE_AFTER_CLAIM = """
import os, signal, django
django.setup()
from django.db import transaction
from activities import services
from activities.models import OutgoingEmail
services.reminders_claim_due()
for email in OutgoingEmail.objects.all():
    assert services.email_claim(email_id=email.pk) is not None
print("claimed", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""

DIE_INSIDE_THE_CLAIM = """
import os, signal, django
django.setup()
from django.db import transaction
from django.utils import timezone
from activities.models import Activity
with transaction.atomic():
    Activity.objects.filter(reminder_sent_at__isnull=True).update(reminder_sent_at=timezone.now())
    print("claimed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def run_and_kill(script, env):
    process = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert process.returncode == -9, process.stderr
    assert "claimed" in process.stdout


def test_worker_killed_after_claiming_loses_nothing_and_duplicates_nothing(due_reminders, now, tmp_path):
    run_and_kill(DIE_AFTER_CLAIM, subprocess_env(tmp_path / "mail"))
    assert Notification.objects.count() == REMINDERS  # committed with the claim
    assert not mails_in(tmp_path / "mail")

    # Before the lease expires nobody else sends (the dead worker might still be alive).
    assert services.reminders_run(now=now + timedelta(minutes=1)) == {"claimed": 0, "sent": 0}
    lease = timedelta(seconds=settings.CRM_EMAIL_CLAIM_LEASE_SECONDS)
    run_in_threads(lambda: services.reminders_run(now=now + lease + timedelta(minutes=1)), count=2)

    assert_exactly_one_per_reminder(due_reminders, mail.outbox)


def test_worker_killed_inside_the_claim_transaction_leaves_the_work_to_the_next_run(due_reminders, now, tmp_path):
    run_and_kill(DIE_INSIDE_THE_CLAIM, subprocess_env(tmp_path / "mail"))

    services.reminders_run(now=now + timedelta(minutes=10))

    assert_exactly_one_per_reminder(due_reminders, mail.outbox)


def test_concurrent_rule_engines_fire_each_occurrence_once(rep, now):
    from activities.models import Activity, FollowUpRule, RuleFiring

    FollowUpRule.objects.all().delete()
    factories.FollowUpRuleFactory(trigger=FollowUpRule.Trigger.LEAD_CREATED, created_at=now - timedelta(days=1))
    factories.LeadFactory.create_batch(20, owner=rep)

    run_in_threads(lambda: services.rules_apply(now=now))

    assert RuleFiring.objects.count() == 20
    assert Activity.objects.count() == 20


def test_concurrent_digest_runs_send_one_digest(rep, deal, now):
    from activities.models import DigestLog

    rep.digest_hour = 0
    rep.save()
    factories.ActivityFactory(deal=deal, due_at=now)

    run_in_threads(lambda: services.digests_run(now=now))

    assert DigestLog.objects.count() == 1
    assert len([m for m in mail.outbox if m.to == ["alice@example.com"]]) == 1
