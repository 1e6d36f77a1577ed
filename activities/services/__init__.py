"""Writes of activities, notifications, reminders, digests and follow-up rules.

Every function owns its transaction. Periodic services (`reminders_run`, `digests_run`,
`rules_apply`) are safe to run twice or concurrently: work is claimed with a conditional
UPDATE (checking the row count) or guarded by a unique constraint, and e-mail goes
through the `OutgoingEmail` outbox, which is delivered under a lease.

One module per family — `activity` (single activities and notifications), `outbox`,
`reminders`, `digests`, `rules`, and `common` for what they share — re-exported here, so
callers keep `from activities import services` and `services.<name>`. The modules import
each other one way: common ← activity, outbox ← reminders, digests; rules uses common only.
"""

from activities.services.activity import (
    activity_complete,
    activity_create,
    activity_log_done,
    activity_postpone_to_tomorrow,
    activity_reopen,
    activity_update,
    notification_mark_all_read,
    notification_mark_read,
)
from activities.services.common import ActivityError, absolute_url, user_time_zone
from activities.services.digests import digest_queue_for_user, digests_run
from activities.services.outbox import (
    email_claim,
    email_claim_batch,
    email_deliver_pending,
    email_message,
    email_send_claimed,
)
from activities.services.reminders import REMINDER_STALE_AFTER, reminders_claim_due, reminders_run
from activities.services.rules import (
    LEAD_IDLE_DEFAULT_DAYS,
    rule_due_at,
    rule_fire,
    rule_occurrences,
    rule_render_subject,
    rules_apply,
)

__all__ = [
    "LEAD_IDLE_DEFAULT_DAYS",
    "REMINDER_STALE_AFTER",
    "ActivityError",
    "absolute_url",
    "activity_complete",
    "activity_create",
    "activity_log_done",
    "activity_postpone_to_tomorrow",
    "activity_reopen",
    "activity_update",
    "digest_queue_for_user",
    "digests_run",
    "email_claim",
    "email_claim_batch",
    "email_deliver_pending",
    "email_message",
    "email_send_claimed",
    "notification_mark_all_read",
    "notification_mark_read",
    "reminders_claim_due",
    "reminders_run",
    "rule_due_at",
    "rule_fire",
    "rule_occurrences",
    "rule_render_subject",
    "rules_apply",
    "user_time_zone",
]
