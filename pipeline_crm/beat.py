"""The Celery beat schedule, in code (django-celery-beat does not support Django 6.1).

Run exactly one beat process per installation (docs/operations.md). Every entry names
the task it runs and why; every periodic service also has a management command.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # --- activities: reminders, digest, follow-up rules ---
    # Every minute: claim the activities whose reminder time has come (due minus the
    # assignee's lead time), notify in-app and e-mail exactly once; then deliver the outbox.
    "activities-send-due-reminders": {
        "task": "activities.send_due_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every 5 minutes: queue each user's daily digest once their local digest hour has
    # come (one per user and local date, guarded by a unique constraint).
    "activities-send-daily-digests": {
        "task": "activities.send_daily_digests",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Every 5 minutes: apply the follow-up rules to the stage and lead history (each rule
    # fires once per occurrence, guarded by a unique constraint).
    "activities-apply-follow-up-rules": {
        "task": "activities.apply_follow_up_rules",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # --- mail: e-mails written in the CRM ---
    # Every minute: send the messages whose retry is due or whose worker died while holding
    # them (the lease expired); each is claimed with a conditional UPDATE, so never twice at a
    # time. Command: `manage.py deliver_mail`.
    "mail-deliver-pending": {
        "task": "mail.deliver_pending",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # --- nurturing: double opt-in ---
    # Every minute: a confirmation e-mail to each contact and lead whose e-mail consent is
    # "pending" and who was not asked yet (a record becoming pending is usually asked at once;
    # this catches the rest), then deliver the outbox. Command: `manage.py send_confirmations`.
    "nurturing-send-confirmations": {
        "task": "nurturing.send_confirmations",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # --- leads: imports whose worker died ---
    # Every 5 minutes: a queued or running CSV import without progress for
    # LEADS_IMPORT_STALE_MINUTES is marked failed with a clear message; the user retries it
    # and the rows already imported are skipped. Command: `manage.py fail_stale_imports`.
    "leads-fail-stale-imports": {
        "task": "leads.fail_stale_imports",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # --- transfer: imports whose worker died ---
    # Every 5 minutes: a dry run or import of organizations, contacts, deals or activities
    # without progress for TRANSFER_IMPORT_STALE_MINUTES (and whose worker holds no lock on it)
    # is marked failed; the user runs the dry run again. Command: `manage.py fail_stale_transfers`.
    "transfer-fail-stale-imports": {
        "task": "transfer.fail_stale_imports",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # --- customers: the trash ---
    # 03:30 in the installation's time zone: organizations and contacts deleted more than
    # 30 days ago (customers.models.RESTORE_DAYS) are removed for good; until then they can
    # be restored. Command: `manage.py purge_trash`.
    "customers-purge-trash": {
        "task": "customers.purge_trash",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3 * 3600},
    },
    # --- quotes: expiry ---
    # 00:15 in the installation's time zone, just after the day ended: every sent quote whose
    # valid-until day is over expires (a quote is also expired when it is next read, so the
    # sweep is what moves quotes nobody looks at). Each quote under its row lock, only while
    # still sent: a second run expires nothing. Command: `manage.py expire_quotes`.
    "quotes-expire-nightly": {
        "task": "quotes.expire_quotes",
        "schedule": crontab(hour=0, minute=15),
        "options": {"expires": 3 * 3600},
    },
    # --- mail: sync every connected mailbox ---
    # Every CRM_MAIL_SYNC_INTERVAL_SECONDS (120 s): one `mail.sync_mailbox` task per connected
    # mailbox with sync enabled, the shared dropbox included (docs/email.md, "Sync").
    # Command: `manage.py sync_mail [--mailbox ID]`.
    "mail-sync-all-mailboxes": {
        "task": "mail.sync_all_mailboxes",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # --- nurturing: sequences, segments, replies (docs/nurturing.md) ---
    # Every minute (CRM_NURTURE_RUN_INTERVAL_SECONDS): claim the due enrolments of active
    # sequences under a lease and run their steps (a step's e-mail and the enrolment's new
    # position commit together, so a rerun sends nothing twice). Command: `manage.py run_sequences`.
    "nurturing-run-due": {
        "task": "nurturing.run_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Every 5 minutes: enrol the new members of the segments of active sequences with
    # auto-enrolment (people never in that sequence before).
    "nurturing-enrol-segments": {
        "task": "nurturing.enrol_segments",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    # Every 2 minutes (after the mailbox sync): mark marketing e-mails answered by an inbound
    # e-mail and end their enrolments ("replied").
    "nurturing-mark-replies": {
        "task": "nurturing.mark_replies",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # --- webhooks: fan-out and delivery (docs/api.md, "Webhooks: events and delivery") ---
    # Every minute: fan the undispatched outbox events out to the subscriptions, then send the
    # deliveries whose retry is due or whose worker died holding them (the lease ran out).
    # Each transaction that writes events also queues this task when it commits.
    "webhooks-dispatch": {
        "task": "webhooks.dispatch",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # --- analytics: nightly rollup, bottleneck verdicts ---
    # 02:00 in the installation's time zone (CELERY_TIMEZONE = TIME_ZONE; settings
    # ANALYTICS_ROLLUP_HOUR/MINUTE move it): yesterday's daily snapshot rows. Rerunning a
    # day replaces its rows. Command: `manage.py rollup --from … --to …`.
    "analytics-rollup-nightly": {
        "task": "analytics.rollup_nightly",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": 3 * 3600},
    },
    # 03:00 local time, after the rollup: every stage's conversion in the last complete week
    # against its trailing eight weeks; a clear drop notifies managers and admins once
    # (docs/metrics.md, "Conversion alert"). Command: `manage.py conversion_alerts`.
    "analytics-conversion-alerts": {
        "task": "analytics.conversion_alerts",
        "schedule": crontab(hour=3, minute=0),
        "options": {"expires": 3 * 3600},
    },
    # Every 15 minutes (ANALYTICS_BOTTLENECK_MINUTES): the bottleneck verdict of every
    # stage, shown on the dashboard and the board's column header. Command: `manage.py bottlenecks`.
    "analytics-stage-health": {
        "task": "analytics.stage_health",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
}
