"""The outbox: what happened, written in the same transaction as the change itself, so that
an event exists exactly when its change was committed. The webhooks app reads it and
delivers it (docs/api.md, "Webhooks")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    DEAL_CREATED = "deal.created", _("Deal created")
    DEAL_MOVED = "deal.moved", _("Deal moved")
    DEAL_WON = "deal.won", _("Deal won")
    DEAL_LOST = "deal.lost", _("Deal lost")
    LEAD_CREATED = "lead.created", _("Lead created")
    LEAD_CONVERTED = "lead.converted", _("Lead converted")
    QUOTE_SENT = "quote.sent", _("Quote sent")
    QUOTE_ACCEPTED = "quote.accepted", _("Quote accepted")
    QUOTE_DECLINED = "quote.declined", _("Quote declined")
    ACTIVITY_DUE = "activity.due", _("Activity due")
    CONTACT_CREATED = "contact.created", _("Contact created")


class OutboxEvent(models.Model):
    """One event. `subject_type`/`subject_id` name the record ("deal", 42); `data` holds the
    facts of the moment (the stages of a move, the lost reason), the record itself is read
    when the event is delivered. `dispatched_at` is set once it has been fanned out to the
    subscriptions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    subject_type = models.CharField(_("record type"), max_length=20)
    subject_id = models.BigIntegerField(_("record id"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)

    class Meta:
        ordering = ["occurred_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(
                fields=["occurred_at"], name="events_undispatched", condition=models.Q(dispatched_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.subject_type} {self.subject_id}"
