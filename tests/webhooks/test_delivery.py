"""Fan-out and signed delivery to a real HTTP receiver on 127.0.0.1 (docs/api.md, "Webhooks:
events and delivery"). Time moves by the `now` argument, never by sleeping."""

import json
from datetime import timedelta
from random import Random

import pytest
from django.db import transaction
from django.utils import timezone

from activities.models import Notification
from deals import services as deal_services
from events import representations
from events.models import EventType, OutboxEvent
from events.services import event_emit
from tests import factories
from tests.webhooks.conftest import SECRET, make_subscription
from webhooks import delivery, dispatch, signing
from webhooks.models import Attempt, Delivery

pytestmark = pytest.mark.django_db


def new_deal(owner, stages, title="Acme rollout"):
    return deal_services.deal_create(title=title, stage=stages[0], owner=owner, actor=owner)


def test_a_delivery_is_signed_so_that_verify_accepts_it(rep, stages, receiver):
    make_subscription(rep, receiver.url)
    deal = new_deal(rep, stages)
    outcome = dispatch.run()
    assert outcome["delivered"] == 1
    ((headers, body),) = receiver.requests
    assert signing.verify(SECRET, headers, body)
    assert not signing.verify("another secret", headers, body)
    assert not signing.verify(SECRET, headers, body + b" ")
    assert not signing.verify(SECRET, headers, body, now=int(headers["Webhook-Timestamp"]) + 301)
    event = OutboxEvent.objects.get(type=EventType.DEAL_CREATED)
    assert headers["Webhook-Id"] == str(event.id)
    assert headers["User-Agent"] == "PipelineCRM-Webhooks/1"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["id"] == str(event.id) and payload["type"] == "deal.created"
    assert payload["occurred_at"].endswith("Z")
    assert payload["data"]["object"]["id"] == deal.pk
    assert payload["data"]["object"]["title"] == "Acme rollout"
    delivered = Delivery.objects.get()
    assert (delivered.status, delivered.attempts) == ("delivered", 1)
    attempt = Attempt.objects.get()
    assert attempt.status_code == 200 and attempt.response_ms is not None and attempt.error == ""


def test_sign_is_the_hmac_of_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signing.sign("k", 1700000000, b"{}") == f"v1={expected}"
    headers = {"webhook-timestamp": "1700000000", "webhook-signature": f"v0=x v1={expected}"}
    assert signing.verify("k", headers, b"{}", now=1700000100)
    assert not signing.verify("k", {"Webhook-Timestamp": "soon"}, b"{}")


def test_an_event_is_delivered_once_however_often_dispatch_runs(rep, stages, receiver):
    make_subscription(rep, receiver.url)
    new_deal(rep, stages)
    dispatch.run()
    dispatch.run()
    OutboxEvent.objects.update(dispatched_at=None)  # as if a run died before marking them
    dispatch.run()
    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_a_500_is_retried_after_the_backoff_and_then_delivered(rep, stages, receiver):
    receiver.plan = [(500, 0), (200, 0)]
    subscription = make_subscription(rep, receiver.url)
    new_deal(rep, stages)
    t0 = timezone.now()
    assert dispatch.run(now=t0)["retrying"] == 1
    pending = Delivery.objects.get()
    assert pending.status == "pending" and pending.attempts == 1 and pending.locked_until is None
    assert timedelta(seconds=27) <= pending.next_attempt_at - t0 <= timedelta(seconds=33)
    subscription.refresh_from_db()
    assert subscription.failing_since == t0
    assert dispatch.run(now=t0 + timedelta(seconds=10))["retrying"] == 0  # not due yet
    assert len(receiver.requests) == 1
    assert dispatch.run(now=t0 + timedelta(seconds=40))["delivered"] == 1
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == ("delivered", 2)
    assert [a.status_code for a in Attempt.objects.order_by("at")] == [500, 200]
    subscription.refresh_from_db()
    assert subscription.failing_since is None
    # The retry carries the same event id: the receiver dedupes by it.
    assert receiver.requests[0][0]["Webhook-Id"] == receiver.requests[1][0]["Webhook-Id"]


def test_a_timeout_is_retried(rep, stages, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.plan = [(200, 1.0), (200, 0)]
    make_subscription(rep, receiver.url)
    new_deal(rep, stages)
    t0 = timezone.now()
    assert dispatch.run(now=t0)["retrying"] == 1
    first = Attempt.objects.get()
    assert first.status_code is None and "timed out" in first.error
    assert dispatch.run(now=t0 + timedelta(minutes=1))["delivered"] == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(rep, stages, receiver):
    receiver.plan = [(302, 0)]
    make_subscription(rep, receiver.url)
    new_deal(rep, stages)
    assert dispatch.run()["retrying"] == 1
    assert len(receiver.requests) == 1  # the Location was not requested
    assert Attempt.objects.get().status_code == 302


def test_a_private_address_is_refused_unless_allowed(rep, stages, receiver):
    make_subscription(rep, receiver.url, allow_private_network=False)
    new_deal(rep, stages)
    assert dispatch.run()["retrying"] == 1
    assert receiver.requests == []
    assert "private or local network" in Attempt.objects.get().error


def test_backoff_doubles_from_30_seconds_up_to_an_hour_with_jitter():
    rng = Random(7)
    delays = [delivery.backoff(n, rng=rng).total_seconds() for n in range(1, 11)]
    bases = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    for delay, base in zip(delays, bases, strict=True):
        assert base * 0.9 <= delay <= base * 1.1


def test_after_24_hours_of_failures_the_subscription_is_disabled_and_its_owner_told(rep, stages, receiver):
    receiver.plan = [(503, 0)]
    rep.language = "de"
    rep.save()
    subscription = make_subscription(rep, receiver.url)
    new_deal(rep, stages, "First")
    new_deal(rep, stages, "Second")
    t0 = timezone.now()
    dispatch.run(now=t0)
    assert Delivery.objects.filter(status="pending").count() == 2
    # Retries every few minutes, then hourly, for a day: still enabled before the 24 hours are up.
    moment = t0
    while moment < t0 + timedelta(hours=23):
        moment += timedelta(hours=1)
        dispatch.run(now=moment)
    subscription.refresh_from_db()
    assert subscription.disabled_at is None
    assert Delivery.objects.filter(status="pending").count() == 2
    later = t0 + timedelta(hours=24, minutes=5)
    dispatch.run(now=later)
    subscription.refresh_from_db()
    assert subscription.disabled_at == later and subscription.disabled_reason
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    notification = Notification.objects.get(user=rep)
    assert "deaktiviert" in notification.message
    assert subscription.url in notification.message
    # A disabled subscription gets no new deliveries.
    requests = len(receiver.requests)
    new_deal(rep, stages, "Third")
    dispatch.run(now=later + timedelta(hours=1))
    assert Delivery.objects.count() == 2 and len(receiver.requests) == requests


def test_a_reps_subscription_gets_only_the_events_of_records_in_the_reps_scope(rep, outsider, admin, stages, receiver):
    make_subscription(rep, receiver.url)
    make_subscription(admin, receiver.url)
    mine = new_deal(rep, stages, "Mine")
    new_deal(outsider, stages, "Theirs")
    dispatch.run()
    assert set(Delivery.objects.filter(subscription__owner=rep).values_list("event__subject_id", flat=True)) == {
        mine.pk
    }
    assert Delivery.objects.filter(subscription__owner=admin).count() == 2
    assert len(receiver.requests) == 3


def test_a_subscription_gets_only_the_types_it_names(rep, stages, receiver):
    make_subscription(rep, receiver.url, events=["deal.won"])
    deal = new_deal(rep, stages)
    dispatch.run()
    assert receiver.requests == []
    deal_services.deal_win(deal_id=deal.pk, version=deal.version, actor=rep)
    dispatch.run()
    ((_headers, body),) = receiver.requests
    assert json.loads(body)["type"] == "deal.won"


def test_a_rolled_back_change_emits_nothing(rep, stages, receiver):
    make_subscription(rep, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        new_deal(rep, stages)
        raise RuntimeError("the rest of the change failed")
    assert not OutboxEvent.objects.exists()
    dispatch.run()
    assert receiver.requests == []


def test_a_record_type_without_a_reader_waits_until_its_reader_exists(rep, receiver, monkeypatch):
    monkeypatch.setattr(representations, "_readers", dict(representations._readers))
    make_subscription(rep, receiver.url, events=["contact.created"])
    event_emit(EventType.CONTACT_CREATED, subject_type="widget", subject_id=7, actor=rep)
    dispatch.run()
    event = OutboxEvent.objects.get()
    assert event.dispatched_at is None and not Delivery.objects.exists()
    representations.register("widget", lambda user, pk: {"id": pk, "kind": "widget"})
    dispatch.run()
    event.refresh_from_db()
    assert event.dispatched_at is not None
    ((_headers, body),) = receiver.requests
    assert json.loads(body)["data"]["object"] == {"id": 7, "kind": "widget"}


def test_a_leased_delivery_is_taken_again_only_after_its_lease(rep, stages, receiver, settings):
    settings.WEBHOOK_LEASE_SECONDS = 60
    make_subscription(rep, receiver.url)
    new_deal(rep, stages)
    t0 = timezone.now()
    dispatch.dispatch_events(now=t0)
    pending = Delivery.objects.get()
    # A worker claimed it and died before sending.
    assert delivery._claim(pending.pk, t0)
    assert delivery.deliver_due(now=t0 + timedelta(seconds=30))["delivered"] == 0
    assert receiver.requests == []
    assert delivery.deliver_due(now=t0 + timedelta(seconds=61))["delivered"] == 1
    assert len(receiver.requests) == 1


def test_deliveries_of_a_subscription_go_in_order_of_occurrence(rep, stages, receiver):
    make_subscription(rep, receiver.url, events=["deal.created", "deal.moved", "deal.won"])
    deal = new_deal(rep, stages)
    deal, _from = deal_services.deal_move(deal_id=deal.pk, stage_id=stages[1].pk, version=deal.version, actor=rep)
    deal_services.deal_win(deal_id=deal.pk, version=deal.version, actor=rep)
    dispatch.run()
    assert [json.loads(body)["type"] for _h, body in receiver.requests] == ["deal.created", "deal.moved", "deal.won"]


def test_a_record_no_longer_visible_is_not_sent(rep, teammate, stages, receiver):
    make_subscription(rep, receiver.url)
    deal = new_deal(rep, stages)
    dispatch.dispatch_events()
    factories.DealFactory._meta.model.objects.filter(pk=deal.pk).update(owner=factories.UserFactory(team=None))
    delivery.deliver_due()
    assert receiver.requests == []
    assert Delivery.objects.get().status == "failed"


def test_a_secret_no_key_opens_is_an_attempt_with_its_error_not_a_crash(rep, stages, receiver):
    subscription = make_subscription(rep, receiver.url)
    subscription.secret_encrypted = "not-a-fernet-token"
    subscription.save()
    new_deal(rep, stages)
    assert dispatch.run()["retrying"] == 1
    assert receiver.requests == []
    assert "cannot be decrypted" in Attempt.objects.get().error
