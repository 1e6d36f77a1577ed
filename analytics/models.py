"""Snapshot tables written by the nightly rollup (analytics.services.snapshot_rollup_day).

One row per day × pipeline × stage × owner × region × lead source (product NULL: every
deal once), plus the same grain per product (product set: a deal counts once for each
product it sells), so the dashboard's trend honours every filter without reading history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from deals.models import MAX_STAGES_PER_PIPELINE


class DailySnapshot(models.Model):
    # Derived rows, rewritten in bulk by the rollup (millions in a twelve-month backfill): no
    # database constraints on the references, whose per-row checks at commit and extra indexes
    # cost more than the statement itself. The rows come from the StageChange history, which
    # protects its pipelines, stages and owners (PROTECT, with constraints), and Django's delete
    # still cascades. Nothing reads the rows by stage or pipeline alone (the cascade of deleting a
    # stage or pipeline without history scans the (day, pipeline, stage) index: 0.13 s at 6.4 million
    # rows), so they have no index of their own, which the twelve-month backfill would maintain.
    day = models.DateField(_("day"))
    pipeline = models.ForeignKey(
        "deals.Pipeline", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    stage = models.ForeignKey(
        "deals.Stage", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    region = models.CharField(_("region"), max_length=10, blank=True)
    source = models.CharField(_("lead source"), max_length=20, blank=True)
    product = models.ForeignKey(
        "deals.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
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
            # The dashboard's trend reads one product's rows (or the all-deals rows, product NULL)
            # over a range of days.
            models.Index(fields=["product", "day"], name="snapshot_product_day"),
        ]

    def __str__(self):
        return f"{self.day} {self.stage_id} {self.owner_id}: {self.open_count}"


class StageVisit(models.Model):
    """One visit of a deal to a stage, materialized from the StageChange history
    (analytics.visits.visits_sync): from a history row that leaves the deal open in a stage
    to the deal's next history row in (at, id) order, or open (left_at NULL) while none.

    Besides the visit itself it keeps what the funnel needs from the rest of the deal's history:
    whether the deal is won at or after the visit, and which stages of the same pipeline it is open
    in at or after the visit, as a set of their `StageSlot` bits. Stage orders are not stored: the
    funnel compares with the orders of the moment, so reordering stages changes no visit.
    """

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey("deals.Pipeline", on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey("deals.Stage", on_delete=models.CASCADE, related_name="+")
    entering = models.BooleanField(
        _("entering"), help_text=_("Opened by a 'created', 'reopened' or stage-changing 'moved' row.")
    )
    entered_at = models.DateTimeField(_("entered at"))
    entered_change_id = models.BigIntegerField(_("opening stage change"), unique=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    left_change_id = models.BigIntegerField(_("closing stage change"), null=True, blank=True)
    won_later = models.BooleanField(_("won at or after the visit"))
    later_stages = models.BigIntegerField(
        _("stages of the pipeline at or after the visit"),
        help_text=_("The bits (StageSlot) of the stages of its pipeline the deal is open in at or after the visit."),
    )
    # The neighbours in the same stage, so that a deal counts once per stage without a DISTINCT:
    previous_entry_at = models.DateTimeField(
        _("previous entry into the stage"),
        null=True,
        blank=True,
        help_text=_("Of an entering visit: when the deal last entered the same stage before (NULL: never)."),
    )
    next_visit_at = models.DateTimeField(
        _("next visit of the stage"),
        null=True,
        blank=True,
        help_text=_("When the deal's next visit of the same stage began (NULL: none yet)."),
    )

    class Meta:
        verbose_name = _("stage visit")
        verbose_name_plural = _("stage visits")
        indexes = [
            models.Index(fields=["stage", "entered_at"], name="stagevisit_stage_entered"),
            models.Index(fields=["stage", "left_at"], name="stagevisit_stage_left"),
            models.Index(fields=["left_at"], name="stagevisit_left"),
        ]

    def __str__(self):
        return f"{self.deal_id} in {self.stage_id}: {self.entered_at} – {self.left_at}"


class VisitSync(models.Model):
    """The single watermark row of the StageVisit table: the highest StageChange id it reflects."""

    last_change_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("stage visit watermark")

    def __str__(self):
        return f"visits up to stage change {self.last_change_id}"


class StageSlot(models.Model):
    """A stage's bit in `StageVisit.later_stages`: 0 to 62 (a bigint's value bits), unique per pipeline.

    Given once, when the visits are first synced after the stage was created, and kept when the
    stage is reordered or renamed (analytics.visits.slots_assign). A deleted stage frees its
    slot: it had no history (deals.StageChange protects its stages), so no visit holds its bit.
    """

    stage = models.OneToOneField("deals.Stage", on_delete=models.CASCADE, primary_key=True, related_name="+")
    pipeline = models.ForeignKey("deals.Pipeline", on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveSmallIntegerField(_("slot"))

    class Meta:
        verbose_name = _("stage slot")
        verbose_name_plural = _("stage slots")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "slot"], name="stageslot_unique_per_pipeline"),
            models.CheckConstraint(
                condition=models.Q(slot__lt=MAX_STAGES_PER_PIPELINE), name="stageslot_fits_a_bigint"
            ),
        ]

    def __str__(self):
        return f"stage {self.stage_id}: bit {self.slot}"


class Goal(models.Model):
    """A target for one user or one team over one month or one quarter. Progress is computed
    from the deals and activities of the period (analytics.selectors.goals), never stored."""

    class Metric(models.TextChoices):
        WON_VALUE = "won_value", _("Won value")
        WON_DEALS = "won_deals", _("Won deals")
        ACTIVITIES = "activities", _("Activities done")
        NEW_DEALS = "new_deals", _("New deals")

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="goals",
        verbose_name=_("user"),
    )
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="goals", verbose_name=_("team")
    )
    metric = models.CharField(_("measure"), max_length=12, choices=Metric)
    period = models.CharField(_("period"), max_length=8, choices=Period)
    period_start = models.DateField(
        _("period starts"), help_text=_("The first day of the month or of the quarter.")
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["period_start", "metric", "id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="goal_user_xor_team",
                violation_error_message=_("A goal belongs to exactly one user or one team."),
            ),
            models.UniqueConstraint(
                fields=["user", "metric", "period", "period_start"],
                condition=models.Q(user__isnull=False),
                name="goal_unique_user_period",
                violation_error_message=_("This user already has a goal for this measure and period."),
            ),
            models.UniqueConstraint(
                fields=["team", "metric", "period", "period_start"],
                condition=models.Q(team__isnull=False),
                name="goal_unique_team_period",
                violation_error_message=_("This team already has a goal for this measure and period."),
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="goal_target_positive"),
        ]
        indexes = [models.Index(fields=["period_start", "period"], name="goal_period")]

    def __str__(self):
        return f"{self.user or self.team}: {self.get_metric_display()} {self.period_start}"
