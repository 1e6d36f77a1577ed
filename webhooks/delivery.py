"""Delivering webhook requests (docs/api.md, "Webhooks: events and delivery").

Each due delivery is claimed with a conditional UPDATE that sets a lease (`locked_until`), then
sent outside any transaction, then its outcome is written with the Attempt row. A worker killed
while it holds a delivery leaves the lease to run out; the next run claims it again, so a
delivery is never lost (and may reach the receiver twice: receivers dedupe by `Webhook-Id`).

A 2xx answer delivers; anything else (another status, a redirect, a timeout, a refused
connection, a target that is no longer allowed) is retried with exponential backoff until 24
hours after the first attempt, then the delivery fails. A subscription whose deliveries have
failed for 24 hours without a success is disabled and its owner notified.
"""

import json
import logging
import random
import time
import urllib.error
import urllib.request
from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import localization
from activities.models import Notification
from events import representations
from mail import crypto
from webhooks import signing
from webhooks.models import Attempt, Delivery, Subscription
from webhooks.targets import check_target

logger = logging.getLogger(__name__)

USER_AGENT = "PipelineCRM-Webhooks/1"
RETRY_FOR = timedelta(hours=24)  # after the first attempt, then the delivery fails
DISABLE_AFTER = timedelta(hours=24)  # of failures without a success, then the subscription is disabled
FIRST_DELAY = 30  # seconds; doubled after every failed attempt
MAX_DELAY = 3600  # seconds
JITTER = 0.1  # ± 10 %


def timeout_seconds():
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def lease_seconds():
    return float(getattr(settings, "WEBHOOK_LEASE_SECONDS", 60))


def backoff(attempts, *, rng=random):
    """The wait after the `attempts`-th failed attempt: 30 s, 1, 2, 4 … min, at most 1 h, ± 10 %."""
    base = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return timedelta(seconds=base * rng.uniform(1 - JITTER, 1 + JITTER))


def payload(event, representation):
    return {
        "id": str(event.id),
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"object": representation, **(event.data or {})},
    }


def request_headers(*, secret, event_id, body, timestamp):
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": str(event_id),
        "Webhook-Timestamp": str(int(timestamp)),
        "Webhook-Signature": signing.sign(secret, timestamp, body),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is the answer (not delivered), never followed


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def post(url, body, headers, *, timeout):
    """(status code or None, error text) of one POST."""
    # http(s) only: check_target refused every other scheme just before.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(64 * 1024)
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, ""
    except urllib.error.URLError as error:
        return None, str(error.reason)[:300]
    except (TimeoutError, OSError, ValueError) as error:
        return None, (str(error) or error.__class__.__name__)[:300]


def _due(now):
    return Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        status=Delivery.Status.PENDING,
        next_attempt_at__lte=now,
        subscription__is_active=True,
        subscription__disabled_at__isnull=True,
    )


def _claim(delivery_id, now):
    """True when this run took the delivery (a conditional UPDATE that sets the lease)."""
    lease = now + timedelta(seconds=lease_seconds())
    return _due(now).filter(pk=delivery_id).update(locked_until=lease) == 1


def deliver_due(*, now=None, limit=500, budget_seconds=200):
    """Send the due deliveries, oldest event first; returns counts of the outcomes.

    No new request is started after `budget_seconds` (below the task's soft time limit of
    240 s): the rest waits for the next run."""
    started = time.monotonic()
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    ids = list(
        _due(now or timezone.now())
        .order_by("event__occurred_at", "event_id", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        if time.monotonic() - started > budget_seconds:
            break
        moment = now or timezone.now()
        if _claim(delivery_id, moment):
            counts[attempt(delivery_id, now=moment)] += 1
    return counts


def attempt(delivery_id, *, now=None):
    """One request of a claimed delivery and its outcome: "delivered", "retrying" or "failed"."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("event", "subscription__owner").get(pk=delivery_id)
    subscription, event = delivery.subscription, delivery.event
    try:
        representation = representations.represent(event.subject_type, event.subject_id, user=subscription.owner)
        secret = signing.secret_for(subscription)
    except (LookupError, crypto.SecretUnreadable) as error:
        # A reader gone or a secret no key opens (CRM_MAIL_KEYS): retried, and logged as an attempt.
        logger.error("Webhook delivery %s cannot be prepared: %s", delivery.pk, error)
        return _record(delivery, now=now, error=str(error))
    if representation is None:
        # Deleted since, or out of the owner's scope now: nothing that may be sent.
        return _record(delivery, now=now, error=_("The record is gone or no longer visible to the owner."), final=True)
    try:
        check_target(subscription.url, allow_private=subscription.allow_private_network)
    except ValidationError as error:
        return _record(delivery, now=now, error=" ".join(error.messages))
    body = json.dumps(payload(event, representation), cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    headers = request_headers(secret=secret, event_id=event.id, body=body, timestamp=time.time())
    started = time.monotonic()
    status, error = post(subscription.url, body, headers, timeout=timeout_seconds())
    elapsed = round((time.monotonic() - started) * 1000)
    return _record(delivery, now=now, status=status, ms=elapsed, error=error)


def _record(delivery, *, now, status=None, ms=None, error="", final=False):
    delivered = status is not None and 200 <= status < 300
    if status is not None and not delivered and not error:
        error = _("HTTP %(status)s") % {"status": status}
    with transaction.atomic():
        Attempt.objects.create(delivery=delivery, at=now, status_code=status, response_ms=ms, error=error[:300])
        rows = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING)
        if delivered:
            rows.update(
                status=Delivery.Status.DELIVERED, delivered_at=now, attempts=F("attempts") + 1, locked_until=None
            )
            Subscription.objects.filter(pk=delivery.subscription_id, failing_since__isnull=False).update(
                failing_since=None
            )
            return "delivered"
        if final:
            rows.update(status=Delivery.Status.FAILED, attempts=F("attempts") + 1, locked_until=None)
            return "failed"
        first = delivery.attempt_log.order_by("at").values_list("at", flat=True).first() or now
        if now - first >= RETRY_FOR:
            rows.update(status=Delivery.Status.FAILED, attempts=F("attempts") + 1, locked_until=None)
            outcome = "failed"
        else:
            rows.update(
                attempts=F("attempts") + 1, next_attempt_at=now + backoff(delivery.attempts + 1), locked_until=None
            )
            outcome = "retrying"
        Subscription.objects.filter(pk=delivery.subscription_id, failing_since__isnull=True).update(failing_since=now)
        failing_since = Subscription.objects.values_list("failing_since", flat=True).get(pk=delivery.subscription_id)
        if failing_since is not None and now - failing_since >= DISABLE_AFTER:
            subscription_disable(delivery.subscription_id, now=now)
    return outcome


def subscription_url(subscription):
    """The subscription's page (`webhooks:detail`), or "" while that page does not exist."""
    for kwargs in ({"pk": subscription.pk}, {"subscription_id": subscription.pk}):
        try:
            return reverse("webhooks:detail", kwargs=kwargs)
        except NoReverseMatch:
            continue
    try:
        return reverse("webhooks:detail", args=[subscription.pk])
    except NoReverseMatch:
        return ""


@transaction.atomic
def subscription_disable(subscription_id, *, now=None):
    """Disable a failing subscription: its pending deliveries fail and its owner is notified
    (once per disabling). False when it was disabled already."""
    now = now or timezone.now()
    subscription = Subscription.objects.select_for_update().select_related("owner").get(pk=subscription_id)
    if subscription.disabled_at is not None:
        return False
    with translation.override(localization.user_language(subscription.owner)):
        reason = _("Deliveries failed for 24 hours without a success.")
        message = _(
            "Your webhook to %(url)s was disabled: deliveries failed for 24 hours. Fix the receiver, then enable it again."
        ) % {"url": subscription.url[:150]}
    subscription.disabled_at, subscription.disabled_reason = now, reason[:200]
    subscription.save(update_fields=["disabled_at", "disabled_reason", "updated_at"])
    Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, locked_until=None
    )
    Notification.objects.create(
        user=subscription.owner,
        kind=Notification.Kind.INFO,
        dedupe_key=f"webhook-disabled:{subscription.pk}:{int(now.timestamp())}"[:100],
        message=message[:300],
        link=subscription_url(subscription),
        created_at=now,
    )
    return True
