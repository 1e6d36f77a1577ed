"""Webhook subscriptions and their deliveries (docs/api.md, "Webhooks")."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import EventType, OutboxEvent


class Subscription(models.Model):
    """A URL that receives the events it names, as its owner may see them: a rep's
    subscription gets the events of records in the rep's scope, an admin's every event."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The event types (EventType values) it receives.
    events = models.JSONField(_("events"), default=list)
    # The HMAC key, encrypted at rest (mail.crypto); shown to the owner on the subscription's page.
    secret_encrypted = models.TextField(_("signing secret (encrypted)"))
    # Only an admin may allow a target in a private, loopback or link-local network (SSRF).
    allow_private_network = models.BooleanField(_("allow a private network address"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # When deliveries began to fail without a success since; disabled after 24 hours of it.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url


class Delivery(models.Model):
    """One event for one subscription, tried until it is answered with a 2xx or 24 hours pass."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")  # gave up after 24 hours, or the subscription was disabled

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker holds the delivery until then (a killed worker's lease runs out and another retries).
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="webhooks_delivery_once")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhooks_delivery_due", condition=models.Q(status="pending")
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.subscription}"


class Attempt(models.Model):
    """One HTTP request of a delivery: the delivery log shown per subscription."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self):
        return f"{self.delivery_id} {self.status_code or self.error}"


__all__ = ["Attempt", "Delivery", "EventType", "Subscription"]
