"""Writing events to the outbox, inside the caller's transaction (docs/api.md, "Webhooks").

`event_emit` is called by the services that make the change, after the change is written
and before their transaction commits; if the transaction rolls back, so does the event.
Once committed, the dispatcher task is asked to fan it out (by name: this app imports no
app above it). If that request is lost (a worker or broker down), the periodic dispatch
finds the event anyway: the outbox row is the source of truth.

The request on commit only makes delivery quicker than the every-minute run, so it is sent
only while some subscription is active (a flag in the cache that the webhooks app keeps:
`dispatch_wanted_set`). Without it every change would queue a task for nobody, and an
import of thousands of rows thousands of tasks. When the flag is unknown (an empty cache), no
request is sent and the next periodic run sets it."""

from django.core.cache import cache
from django.db import transaction

from events.models import OutboxEvent

DISPATCH_TASK = "webhooks.dispatch"
WANTED_KEY = "events:dispatch-wanted"


def dispatch_wanted_set(wanted):
    cache.set(WANTED_KEY, bool(wanted), timeout=None)


def _queue_dispatch():
    if not cache.get(WANTED_KEY):
        return
    from celery import current_app

    task = current_app.tasks.get(DISPATCH_TASK)
    if task is not None:
        task.delay()


def event_emit(event_type, *, subject_type, subject_id, actor=None, data=None, at=None):
    fields = {"type": event_type, "subject_type": subject_type, "subject_id": subject_id, "data": data or {}}
    if at is not None:
        fields["occurred_at"] = at
    if actor is not None and getattr(actor, "is_authenticated", False):
        fields["actor"] = actor
    event = OutboxEvent.objects.create(**fields)
    transaction.on_commit(_queue_dispatch)
    return event


def event_emit_many(event_type, *, subject_type, subject_ids, actor=None, data=None, data_by_id=None):
    """One event per record for a bulk write (an import, a bulk action): one INSERT.
    `data_by_id` ({record id: data}) gives each record its own data instead of `data`."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    data_by_id = data_by_id or {}
    events = OutboxEvent.objects.bulk_create(
        OutboxEvent(
            type=event_type,
            subject_type=subject_type,
            subject_id=pk,
            actor=actor,
            data=data_by_id.get(pk, data) or {},
        )
        for pk in subject_ids
    )
    if events:
        transaction.on_commit(_queue_dispatch)
    return events
