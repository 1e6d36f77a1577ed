"""Thin Celery tasks: each calls one analytics service and is safe to run twice (a rollup
rerun replaces the day's rows in one transaction; a verdict run overwrites the verdicts;
the visits sync is serialised by an advisory lock), so they acknowledge late and are
re-queued when their worker dies."""

from datetime import date

from celery import shared_task

from analytics import alerts, services

LATE_ACK = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="analytics.rollup_nightly", **LATE_ACK)
def rollup_nightly():
    """Yesterday's snapshot rows (beat: ANALYTICS_ROLLUP_HOUR:ANALYTICS_ROLLUP_MINUTE, local time)."""
    return services.snapshot_rollup_nightly()


@shared_task(name="analytics.rollup_day", **LATE_ACK)
def rollup_day(day_iso):
    return services.snapshot_rollup_day(day=date.fromisoformat(day_iso))


@shared_task(name="analytics.stage_health", **LATE_ACK)
def stage_health():
    """Bottleneck verdicts for every stage (beat: every ANALYTICS_BOTTLENECK_MINUTES minutes)."""
    return len(services.stage_health_compute())


@shared_task(name="analytics.conversion_alerts", **LATE_ACK)
def conversion_alerts():
    """Conversion alerts for the last complete week (beat: nightly); a rerun notifies nobody twice."""
    return alerts.conversion_alerts_notify()
