"""The Celery beat schedule, in code (django-celery-beat does not support Django 6.1).

Run exactly one beat process per installation (docs/operations.md). Every entry names
the task it runs and why; every periodic service also has a management command.
"""

BEAT_SCHEDULE = {
    # --- activities: reminders, digest, follow-up rules ---
    # --- analytics: nightly rollup, bottleneck verdicts ---
}
