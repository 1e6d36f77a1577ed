from django.conf import settings

from activities import tasks
from pipeline_crm.beat import BEAT_SCHEDULE

ACTIVITY_TASKS = [
    tasks.send_due_reminders,
    tasks.send_daily_digests,
    tasks.apply_follow_up_rules,
    tasks.deliver_outgoing_email,
]


def test_activity_tasks_acknowledge_late_because_they_are_idempotent():
    for task in ACTIVITY_TASKS:
        assert task.acks_late is True, task.name
        assert task.reject_on_worker_lost is True, task.name


def test_the_claim_lease_must_outlive_one_smtp_message():
    """The lease is renewed before each message, so it must outlive one message: about four
    SMTP commands of at most EMAIL_TIMEOUT each. Settings refuse a shorter one."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    def load(lease):
        env = {**os.environ, "CRM_MODE": "embedded", "EMAIL_TIMEOUT": "20", "CRM_EMAIL_CLAIM_LEASE_SECONDS": lease}
        command = [sys.executable, "-c", "import pipeline_crm.settings as s; print(s.CRM_EMAIL_CLAIM_LEASE_SECONDS)"]
        root = Path(__file__).resolve().parents[2]
        return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60)

    refused = load("80")
    assert refused.returncode != 0
    assert "must exceed 4 × EMAIL_TIMEOUT (80 s)" in refused.stderr
    accepted = load("81")
    assert (accepted.returncode, accepted.stdout.strip()) == (0, "81")


def test_beat_entries_of_activities_expire_before_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    entries = {name: entry for name, entry in BEAT_SCHEDULE.items() if name.startswith("activities-")}
    assert {e["task"] for e in entries.values()} == {
        "activities.send_due_reminders",
        "activities.send_daily_digests",
        "activities.apply_follow_up_rules",
    }
    for name, entry in entries.items():
        assert entry["options"]["expires"] < visibility, name
        assert "countdown" not in entry["options"], name


def test_every_periodic_service_has_a_management_command():
    from django.core.management import get_commands

    commands = get_commands()
    for command in ("send_reminders", "send_digests", "apply_follow_up_rules", "deliver_email"):
        assert commands.get(command) == "activities", command


def test_send_reminders_command_runs_the_service(due_activity):
    from io import StringIO

    from django.core.management import call_command

    from activities.models import Notification

    out = StringIO()
    call_command("send_reminders", stdout=out)

    assert Notification.objects.filter(activity=due_activity).count() == 1
    assert "'claimed': 1" in out.getvalue()


def test_apply_follow_up_rules_command_runs_the_engine(rep):
    from io import StringIO

    from django.core.management import call_command

    from activities.models import Activity, FollowUpRule
    from tests import factories

    FollowUpRule.objects.all().delete()
    factories.FollowUpRuleFactory(trigger=FollowUpRule.Trigger.LEAD_CREATED)
    factories.LeadFactory(owner=rep)

    call_command("apply_follow_up_rules", stdout=StringIO())

    assert Activity.objects.count() == 1
