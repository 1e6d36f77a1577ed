"""Thin Celery tasks: each calls one analytics service and is safe to run twice
(a rollup rerun replaces the day's rows; a verdict run overwrites the verdicts)."""

from datetime import date

from celery import shared_task

from analytics import services


@shared_task(name="analytics.rollup_nightly")
def rollup_nightly():
    """Yesterday's snapshot rows (beat: ANALYTICS_ROLLUP_HOUR:ANALYTICS_ROLLUP_MINUTE, local time)."""
    return services.snapshot_rollup_nightly()


@shared_task(name="analytics.rollup_day")
def rollup_day(day_iso):
    return services.snapshot_rollup_day(day=date.fromisoformat(day_iso))


@shared_task(name="analytics.stage_health")
def stage_health():
    """Bottleneck verdicts for every stage (beat: every ANALYTICS_BOTTLENECK_MINUTES minutes)."""
    return len(services.stage_health_compute())
