"""Snapshot tables written by the nightly rollup (analytics.services.snapshot_rollup_day).

One row per day × pipeline × stage × owner × region × lead source (product NULL: every
deal once), plus the same grain per product (product set: a deal counts once for each
product it sells), so the dashboard's trend honours every filter without reading history.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DailySnapshot(models.Model):
    day = models.DateField(_("day"))
    pipeline = models.ForeignKey("deals.Pipeline", on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey("deals.Stage", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(_("region"), max_length=10, blank=True)
    source = models.CharField(_("lead source"), max_length=20, blank=True)
    product = models.ForeignKey(
        "deals.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the row counts every deal once; set: the deals that sell this product."),
    )
    # The state at the end of the day (local time).
    open_count = models.PositiveIntegerField(_("open deals"), default=0)
    open_value = models.DecimalField(_("open value"), max_digits=16, decimal_places=2, default=Decimal("0"))
    weighted_value = models.DecimalField(_("weighted value"), max_digits=16, decimal_places=2, default=Decimal("0"))
    # The events of the day.
    won_count = models.PositiveIntegerField(_("won"), default=0)
    won_value = models.DecimalField(_("won value"), max_digits=16, decimal_places=2, default=Decimal("0"))
    lost_count = models.PositiveIntegerField(_("lost"), default=0)
    lost_value = models.DecimalField(_("lost value"), max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("daily snapshot")
        verbose_name_plural = _("daily snapshots")
        indexes = [
            models.Index(fields=["day", "pipeline", "stage"], name="snapshot_day_pipeline_stage"),
            models.Index(fields=["stage", "day"], name="snapshot_stage_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.stage_id} {self.owner_id}: {self.open_count}"
