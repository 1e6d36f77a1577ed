"""Fan-out of the outbox to the subscriptions (docs/api.md, "Webhooks: events and delivery").

`dispatch_events` takes the undispatched events in order of occurrence, in batches locked with
SKIP LOCKED (PostgreSQL; two runs take different events), creates one Delivery per active
subscription that names the event's type and whose owner may see the record (the API's
representation of it for the owner is not None; an admin sees every record), and marks the
events dispatched in the same transaction. A Delivery is unique per subscription and event,
so a repeated run creates nothing twice.

An event whose record type has no API representation yet stays undispatched (it is not lost:
it is dispatched by the first run after its reader is registered).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import scoping
from events import representations
from events import services as event_services
from events.models import OutboxEvent
from webhooks.models import Delivery, Subscription


def refresh_wanted():
    """Tell the outbox whether any subscription is active (it asks for a dispatch on commit
    only then)."""
    event_services.dispatch_wanted_set(
        Subscription.objects.filter(is_active=True, disabled_at__isnull=True, owner__is_active=True).exists()
    )


def active_subscriptions():
    return list(
        Subscription.objects.filter(is_active=True, disabled_at__isnull=True, owner__is_active=True)
        .select_related("owner")
        .order_by("id")
    )


def _visible(event, subscription, cache):
    if scoping.is_admin(subscription.owner):
        # An admin sees every record: no need to read it here as well as at delivery (which
        # also handles a record deleted in between).
        return True
    key = (event.subject_type, event.subject_id, subscription.owner_id)
    if key not in cache:
        cache[key] = (
            representations.represent(event.subject_type, event.subject_id, user=subscription.owner) is not None
        )
    return cache[key]


def dispatch_events(*, now=None, batch_size=200):
    """Fan out every undispatched event whose record type can be represented; returns the
    number of deliveries created."""
    readable = representations.registered()
    created = 0
    while True:
        now_batch = now or timezone.now()
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at__isnull=True, subject_type__in=readable)
                .order_by("occurred_at", "id")[:batch_size]
            )
            if not events:
                return created
            subscriptions = active_subscriptions()
            cache, deliveries = {}, []
            for event in events:
                for subscription in subscriptions:
                    if event.type in (subscription.events or []) and _visible(event, subscription, cache):
                        deliveries.append(
                            Delivery(
                                subscription=subscription, event=event, next_attempt_at=now_batch, created_at=now_batch
                            )
                        )
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now_batch)
            created += len(deliveries)
        if len(events) < batch_size:
            return created


def purge_old(*, now=None):
    """Delete the events dispatched more than WEBHOOK_RETENTION_DAYS ago, with their deliveries
    and attempts (the delivery log shows that long), unless a delivery of one is still pending
    (it cannot be: a delivery is failed 24 hours after its first attempt). Returns the number
    of events deleted."""
    horizon = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    old = OutboxEvent.objects.filter(dispatched_at__lt=horizon).exclude(deliveries__status=Delivery.Status.PENDING)
    ids = list(old.values_list("pk", flat=True)[:5000])
    if not ids:
        return 0
    OutboxEvent.objects.filter(pk__in=ids).delete()
    return len(ids)


def run(*, now=None):
    """The every-minute service (task `webhooks.dispatch`, `manage.py deliver_webhooks`): fan
    out, deliver what is due, and forget what is past the retention."""
    from webhooks import delivery

    refresh_wanted()
    created = dispatch_events(now=now)
    outcome = delivery.deliver_due(now=now)
    purged = purge_old(now=now)
    return {"created": created, **outcome, "purged": purged}
