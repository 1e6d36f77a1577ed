"""Every Celery task of the product is reviewed: it is idempotent, so it is acknowledged late
and re-queued when its worker dies (docs/operations.md lists each with the reason). A new
task fails here until it is added to that table."""

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

from pipeline_crm.beat import BEAT_SCHEDULE
from pipeline_crm.celery import app

ROOT = Path(__file__).resolve().parents[2]

# Task → what makes a second run harmless (the same words as the table in docs/operations.md).
REVIEWED = {
    "activities.send_due_reminders": "conditional UPDATE claim; outbox under a lease",
    "activities.send_daily_digests": "unique DigestLog per user and day",
    "activities.apply_follow_up_rules": "unique RuleFiring per rule and occurrence",
    "activities.deliver_outgoing_email": "outbox under a lease, sent_at set once",
    "mail.deliver_message": "conditional UPDATE claim under a lease, state set once",
    "mail.deliver_pending": "the same claim per message: due retries and expired leases only",
    "leads.tasks.lead_import_run": "unique lead per import row; batches under the import's row lock",
    "leads.tasks.scoring_rescore_all": "recomputes every score from its inputs",
    "leads.fail_stale_imports": "conditional UPDATE on the old heartbeat",
    "analytics.rollup_nightly": "replaces the day's rows in one transaction",
    "analytics.rollup_day": "replaces the day's rows in one transaction",
    "analytics.stage_health": "overwrites one verdict per stage",
    "analytics.conversion_alerts": "notifications unique per pipeline, stage, week and user (dedupe key)",
    "transfer.import_run": "a dry run writes only its report; an import is one transaction under the job's row lock",
    "transfer.fail_stale_imports": "conditional UPDATE on the old heartbeat, skipping locked jobs",
    "customers.purge_trash": "deletes only what is still past 30 days in the trash and unreferenced",
    "quotes.expire_quotes": "each quote expires under its row lock only while it is still sent and past its valid-until day",
    "mail.sync_mailbox": "messages unique per owner and Message-ID; the folder position moves forwards after each committed batch",
    "mail.sync_all_mailboxes": "only enqueues one sync per mailbox; a per-mailbox lock skips a sync that is running",
    "accounts.send_password_reset_email": "a second link is harmless: using one ends them all",
    "nurturing.run_due": "enrolments claimed under a lease; a step's e-mail and the enrolment's new position commit together",
    "nurturing.enrol_segments": "only members never in the sequence; one active enrolment per person and sequence (unique)",
    "nurturing.enrol_segment": "the same as `nurturing.enrol_segments`, for one sequence",
    "nurturing.mark_replies": "only sends without a reply are marked; an enrolment exits once",
    "nurturing.send_confirmations": "each pending record under its row lock; the e-mail through the outbox, unique key optin:<id>",
    "webhooks.dispatch": "deliveries unique per subscription and event; each claimed under a lease",
}


def product_tasks():
    """What the worker's autodiscovery registers: the `tasks` module of every installed app."""
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks") is not None:
            importlib.import_module(f"{config.name}.tasks")
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_is_reviewed_and_acknowledged_late():
    tasks = product_tasks()

    assert set(tasks) == set(REVIEWED)
    for name, task in tasks.items():
        assert task.acks_late is True, name
        assert task.reject_on_worker_lost is True, name


def test_the_operations_doc_lists_every_task():
    doc = (ROOT / "docs" / "operations.md").read_text()
    for name in REVIEWED:
        assert f"`{name}`" in doc, name


def test_no_task_outlives_the_redis_visibility_timeout():
    """Redis hands an unacknowledged task to another worker after the visibility timeout
    (CELERY_VISIBILITY_TIMEOUT, 3600 s): every task's hard time limit ends it before that."""
    visibility = 3600
    for name, task in product_tasks().items():
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert 0 < limit < visibility, name


def test_every_beat_entry_runs_a_task_and_expires_before_the_next_run():
    tasks = product_tasks()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in tasks, name
        schedule = entry["schedule"]
        interval = schedule if isinstance(schedule, float | int) else 24 * 3600
        assert 0 < entry["options"]["expires"] < interval, name


def test_every_periodic_service_has_a_management_command():
    commands = get_commands()
    expected = {
        "send_reminders": "activities",
        "send_digests": "activities",
        "apply_follow_up_rules": "activities",
        "deliver_email": "activities",
        "fail_stale_imports": "leads",
        "fail_stale_transfers": "transfer",
        "rollup": "analytics",
        "bottlenecks": "analytics",
        "expire_quotes": "quotes",
        "sync_mail": "mail",
        "run_sequences": "nurturing",
        "send_confirmations": "nurturing",
        "deliver_webhooks": "webhooks",
    }
    assert {name: commands.get(name) for name in expected} == expected


def test_the_filesystem_broker_writes_only_under_the_var_folder(tmp_path):
    env = {**os.environ, "CRM_MODE": "embedded", "CELERY_BROKER_URL": "filesystem://", "CRM_VAR_DIR": str(tmp_path)}
    code = "import json, pipeline_crm.settings as s; print(json.dumps(s.CELERY_BROKER_TRANSPORT_OPTIONS))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)

    folders = {key: value for key, value in options.items() if key.endswith("_folder") or key.startswith("data_")}
    assert set(folders) == {"data_folder_in", "data_folder_out", "processed_folder", "control_folder"}
    for key, folder in folders.items():
        assert Path(folder).is_relative_to(tmp_path), key
