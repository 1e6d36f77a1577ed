"""Nothing is lost when a worker dies between the commit of a change and its delivery: a real
Celery worker is killed while it waits for the receiver's answer; the delivery stays leased
until its lease ends, a new worker's periodic dispatch then delivers it, signed, with the same
event id."""

import json
import time

import pytest
from django.conf import settings

from deals import services as deal_services
from events import services as event_services
from tests.webhooks.conftest import SECRET, make_subscription
from tests.workers import WORKER_BROKER_URL, Processes
from tests.workers import worker_broker as worker_broker  # the fixture, for usefixtures
from webhooks import signing
from webhooks.models import Attempt, Delivery

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("worker_broker"),
]

LEASE = 8  # seconds; more than the request timeout (4)


def test_a_worker_killed_while_delivering_leaves_the_delivery_to_the_next_run(
    tmp_path, rep, stages, receiver, monkeypatch
):
    # The dispatch request queued on commit is lost (no worker is listening to this process's
    # broker): only the outbox row and the periodic dispatch remain.
    monkeypatch.setattr(event_services, "_queue_dispatch", lambda: None)
    receiver.plan = [(200, 30), (200, 0)]  # the first request hangs: the worker is killed meanwhile
    make_subscription(rep, receiver.url)
    deal = deal_services.deal_create(title="Acme rollout", stage=stages[0], owner=rep, actor=rep)
    processes = Processes(
        tmp_path,
        CELERY_BROKER_URL=WORKER_BROKER_URL,
        CRM_VAR_DIR=str(tmp_path / "var"),
        CRM_MAIL_KEYS=",".join(settings.CRM_MAIL_KEYS),
        WEBHOOK_TIMEOUT_SECONDS="4",
        WEBHOOK_LEASE_SECONDS=str(LEASE),
    )
    try:
        processes.start_worker("worker1")
        processes.call("webhooks.dispatch")
        processes.wait_until(lambda: len(receiver.requests) == 1, timeout=30, what="the first request")
        processes.kill("worker1")
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and delivery.locked_until is not None
        assert not Attempt.objects.exists()

        processes.start_worker("worker2")
        processes.call("webhooks.dispatch")
        processes.wait_for_log("worker2", "succeeded", timeout=30)
        delivery.refresh_from_db()
        assert delivery.status == "pending" and len(receiver.requests) == 1, "held until the lease ends"

        time.sleep(max(0, delivery.locked_until.timestamp() + 1 - time.time()))
        processes.call("webhooks.dispatch")
        processes.wait_until(
            lambda: Delivery.objects.filter(status="delivered").exists(), timeout=30, interval=0.2, what="delivered"
        )
    finally:
        processes.stop_all()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 2
    (first_headers, _), (headers, body) = receiver.requests
    assert signing.verify(SECRET, headers, body)
    assert headers["Webhook-Id"] == first_headers["Webhook-Id"] == str(delivery.event_id)
    assert json.loads(body)["data"]["object"]["id"] == deal.pk
