"""The outbox does not grow for ever: dispatched events past the retention go, with their log."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from events.models import EventType, OutboxEvent
from webhooks import dispatch
from webhooks.models import Attempt, Delivery, Subscription

pytestmark = pytest.mark.django_db


def _event(*, dispatched_days_ago):
    at = timezone.now() - timedelta(days=dispatched_days_ago)
    return OutboxEvent.objects.create(
        type=EventType.DEAL_WON, subject_type="deal", subject_id=1, occurred_at=at, dispatched_at=at
    )


def _subscription(owner):
    return Subscription.objects.create(
        owner=owner, url="https://hooks.example.com/", events=[EventType.DEAL_WON], secret_encrypted="x"
    )


def test_events_past_the_retention_are_removed_with_their_deliveries_and_attempts(admin, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    old, recent = _event(dispatched_days_ago=31), _event(dispatched_days_ago=29)
    subscription = _subscription(admin)
    delivery = Delivery.objects.create(subscription=subscription, event=old, status=Delivery.Status.DELIVERED)
    Attempt.objects.create(delivery=delivery, status_code=200, response_ms=12)

    assert dispatch.purge_old() == 1

    assert list(OutboxEvent.objects.all()) == [recent]
    assert not Delivery.objects.exists() and not Attempt.objects.exists()


def test_an_event_with_a_pending_delivery_is_kept(admin):
    old = _event(dispatched_days_ago=400)
    Delivery.objects.create(subscription=_subscription(admin), event=old)
    assert dispatch.purge_old() == 0
    assert OutboxEvent.objects.filter(pk=old.pk).exists()


def test_undispatched_events_are_never_removed():
    event = OutboxEvent.objects.create(
        type=EventType.DEAL_WON, subject_type="deal", subject_id=1, occurred_at=timezone.now() - timedelta(days=400)
    )
    assert dispatch.purge_old() == 0
    assert OutboxEvent.objects.filter(pk=event.pk).exists()


def test_the_command_runs_the_job(capsys):
    _event(dispatched_days_ago=45)
    call_command("deliver_webhooks")
    assert "1 old event(s) removed" in capsys.readouterr().out
