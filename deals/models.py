from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deals.money import line_amounts
from pipeline_crm.history import AppendOnlyModel

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
# The analytics keep the stages a deal visits as the bits of one 64-bit integer (analytics.StageSlot).
MAX_STAGES_PER_PIPELINE = 63


class Pipeline(models.Model):
    class Kind(models.TextChoices):
        NEW_BUSINESS = "new_business", _("New business")
        EXPANSION = "expansion", _("Expansion (cross-/upselling)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.NEW_BUSINESS)
    is_default = models.BooleanField(
        _("default pipeline"), default=False, help_text=_("The board opens this pipeline first.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_pipeline"),
        ]

    def __str__(self):
        return self.name


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(_("probability %"), default=10, validators=PERCENT)
    rotting_days = models.PositiveSmallIntegerField(
        _("rotting after (days)"), null=True, blank=True, help_text=_("A deal idle this long is marked as rotting.")
    )
    expected_days = models.PositiveSmallIntegerField(
        _("expected days in stage"), null=True, blank=True, help_text=_("How long a deal usually stays here.")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["pipeline", "order", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "name"], name="stage_unique_name_per_pipeline"),
            # Deferred: a reorder that swaps two numbers in one save is checked at commit. Where the
            # database cannot defer a unique constraint (SQLite) Django does not create it; the
            # admin's stage inline and model validation refuse duplicates there.
            models.UniqueConstraint(
                fields=["pipeline", "order"],
                name="stage_unique_order_per_pipeline",
                deferrable=models.Deferrable.DEFERRED,
                violation_error_message=_("Another stage of this pipeline already has this order number."),
            ),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_0_100"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.pipeline_id is None:
            return
        siblings = Stage.objects.filter(pipeline_id=self.pipeline_id).exclude(pk=self.pk)
        if siblings.count() >= MAX_STAGES_PER_PIPELINE:
            raise ValidationError(
                _("A pipeline holds at most %(limit)d stages.") % {"limit": MAX_STAGES_PER_PIPELINE},
                code="too_many_stages",
            )


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    sku = models.CharField(_("SKU"), max_length=50, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("E.g. piece, licence, hour, day."))
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    vat_rate = models.DecimalField(
        _("default VAT rate %"), max_digits=5, decimal_places=2, default=Decimal("19"), validators=PERCENT
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive products are not offered."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="product_vat_0_100"),
        ]

    def __str__(self):
        return self.name


class PriceList(models.Model):
    """A named set of prices (e.g. "Partners 2027"): a deal may use one, and its line items' unit
    prices then default to the list's price of the product (else the product's own price)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive price lists are not offered."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self):
        return self.name


class PriceListPrice(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="list_prices", verbose_name=_("product")
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["price_list", "product__name"]
        verbose_name = _("price list price")
        verbose_name_plural = _("price list prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="price_list_product_once"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="price_list_price_non_negative"),
        ]

    def __str__(self):
        return f"{self.price_list}: {self.product} {self.unit_price}"


class LostReason(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")

    def __str__(self):
        return self.name


class Deal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline"))
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage"))
    position = models.FloatField(
        _("position"), default=0, help_text=_("Order within the column; a move between two cards takes the midpoint.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals", verbose_name=_("owner")
    )
    organization = models.ForeignKey(
        "customers.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("organization"),
    )
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("contact"),
    )
    origin = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
        help_text=_("The won deal this cross- or upselling deal follows."),
    )
    source_lead = models.OneToOneField(
        "leads.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deal",
        verbose_name=_("source lead"),
        help_text=_("The lead this deal was converted from; a lead converts at most once."),
    )
    value = models.DecimalField(
        _("value"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    value_follows_line_items = models.BooleanField(
        _("value follows line items"),
        default=False,
        db_default=False,  # an ALTER TABLE ADD COLUMN on SQLite, no rebuild of deals_deal
        help_text=_("On: the value is the line items' net total. Off: the value is entered by hand."),
    )
    notes = models.TextField(_("notes"), blank=True, default="", db_default="")
    price_list = models.ForeignKey(
        PriceList,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("price list"),
        help_text=_("New line items take their unit price from it."),
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(
        _("probability override %"),
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("Empty: the stage's probability."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    won_at = models.DateTimeField(_("won at"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, on_delete=models.PROTECT, null=True, blank=True, related_name="deals", verbose_name=_("lost reason")
    )
    lost_note = models.TextField(_("lost note"), blank=True)
    lost_from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lost from stage")
    )
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, help_text=_("Bumped on every change."))
    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="deals", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="deal_value_non_negative"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__lte=100), name="deal_probability_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status="open", won_at__isnull=True, lost_at__isnull=True)
                | Q(status="won", won_at__isnull=False, lost_at__isnull=True)
                | Q(
                    status="lost",
                    won_at__isnull=True,
                    lost_at__isnull=False,
                    lost_reason__isnull=False,
                    lost_from_stage__isnull=False,
                ),
                name="deal_status_consistent",
                violation_error_message=_(
                    "A won deal needs its won time; a lost deal needs its lost time, reason and stage; "
                    "an open deal has neither."
                ),
            ),
        ]
        indexes = [
            # The board: one column = (stage, status) ordered by (position, id).
            models.Index(fields=["stage", "status", "position", "id"], name="deal_board_column"),
            # The bottleneck's "older than the age limit" count: a range over only the old deals of a
            # column, answered from the index alone on PostgreSQL (the owner for the scope, the
            # pipeline the board's selection names, the organization for the region filter).
            models.Index(
                fields=["stage", "status", "stage_entered_at"],
                name="deal_column_age",
                include=["owner", "pipeline", "organization"],
            ),
            models.Index(fields=["pipeline", "status", "expected_close_date"], name="deal_pipeline_close"),
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
            models.Index(fields=["status", "won_at"], name="deal_won_at"),
            models.Index(fields=["status", "lost_at"], name="deal_lost_at"),
        ]

    def __str__(self):
        return self.title

    @property
    def effective_probability(self):
        return self.probability if self.probability is not None else self.stage.probability


class DealProduct(models.Model):
    """A line item: a catalogue product (at most once per deal, as the per-product analytics
    count a deal once per product) or a free-text line, with quantity, unit, price, discount
    and VAT. The amounts are stored, computed on every save (deals/money.py), so that the
    deal's value and the totals are SQL sums."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="line_items", verbose_name=_("product")
    )
    description = models.CharField(
        _("description"), max_length=200, blank=True, help_text=_("Free text; empty: the product's name.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    vat_rate = models.DecimalField(
        _("VAT rate %"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT
    )
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False)
    gross_amount = models.DecimalField(
        _("gross"), max_digits=14, decimal_places=2, default=Decimal("0"), editable=False
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("line item")
        verbose_name_plural = _("line items")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lineitem_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="lineitem_price_non_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="lineitem_discount_0_100"
            ),
            models.CheckConstraint(condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="lineitem_vat_0_100"),
            models.CheckConstraint(
                condition=Q(product__isnull=False) | ~Q(description=""), name="lineitem_product_or_description"
            ),
            # NULLs are distinct: any number of free-text lines, a catalogue product once.
            models.UniqueConstraint(fields=["deal", "product"], name="lineitem_product_once_per_deal"),
        ]
        indexes = [models.Index(fields=["product", "deal"], name="lineitem_product_deal")]

    def __str__(self):
        return f"{self.quantity.normalize():f} × {self.label}"

    def save(self, *args, **kwargs):
        self.compute_amounts()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "net_amount", "vat_amount", "gross_amount"}
        super().save(*args, **kwargs)

    @property
    def label(self):
        if self.description:
            return self.description
        return self.product.name if self.product_id else ""

    def compute_amounts(self):
        self.net_amount, self.vat_amount, self.gross_amount = line_amounts(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount_percent=self.discount_percent,
            vat_rate=self.vat_rate,
        )


class Objection(models.Model):
    """A customer's objection raised on a deal (in the close stage as a rule) and how the rep
    handled it. The dashboard counts objections by the stage they were raised in and by the
    deal's outcome."""

    class Kind(models.TextChoices):
        PRICE = "price", _("Price")
        PRODUCT = "product", _("Product details")
        TIMING = "timing", _("Timing")
        OTHER = "other", _("Other")

    class Handling(models.TextChoices):
        OPEN = "open", _("Not yet handled")
        RESOLVED = "resolved", _("Resolved")
        UNRESOLVED = "unresolved", _("Could not be resolved")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="objections", verbose_name=_("deal"))
    stage = models.ForeignKey(
        Stage,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("stage"),
        help_text=_("The deal's stage when the objection was raised."),
    )
    kind = models.CharField(_("objection"), max_length=10, choices=Kind)
    note = models.CharField(_("what the customer said"), max_length=500, blank=True)
    handling = models.CharField(_("handled"), max_length=10, choices=Handling, default=Handling.OPEN)
    response = models.CharField(_("how it was handled"), max_length=500, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [
            models.Index(fields=["deal", "created_at"], name="objection_deal_created"),
            models.Index(fields=["stage", "kind"], name="objection_stage_kind"),
        ]

    def __str__(self):
        return f"{self.deal_id}: {self.get_kind_display()}"


class StageChange(AppendOnlyModel):
    """One row per stage or status change of a deal: the source of truth for conversion,
    time in stage and automation (the outbox that higher apps read)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        MOVED = "moved", _("Moved")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        REOPENED = "reopened", _("Reopened")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(_("from status"), max_length=10, choices=Deal.Status, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=Deal.Status)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The deal's owner at that moment."),
    )
    value = models.DecimalField(_("value at that moment"), max_digits=14, decimal_places=2)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        indexes = [
            models.Index(fields=["deal", "at"], name="stagechange_deal_at"),
            models.Index(fields=["to_stage", "at"], name="stagechange_stage_at"),
            models.Index(fields=["pipeline", "at"], name="stagechange_pipeline_at"),
            models.Index(fields=["at"], name="stagechange_at"),
        ]

    def __str__(self):
        return f"{self.deal_id}: {self.kind} {self.from_stage_id or '—'} → {self.to_stage_id}"


class CloseDateChange(AppendOnlyModel):
    """Every change of a deal's expected close date (for close-date slippage)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="close_date_changes")
    old_date = models.DateField(_("old date"), null=True, blank=True)
    new_date = models.DateField(_("new date"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("close date change")
        verbose_name_plural = _("close date changes")
        indexes = [models.Index(fields=["deal", "at"], name="closedate_deal_at")]

    def __str__(self):
        return f"{self.deal_id}: {self.old_date} → {self.new_date}"


class StageHealth(models.Model):
    """The bottleneck verdict for one stage, written by the analytics job and shown as a
    badge in the board's column header (the board reads it; it never computes it)."""

    # The rule's constants (docs/metrics.md): at least MIN_OPEN open deals, FACTOR × the norm.
    MIN_OPEN = 5
    FACTOR = 1.5

    class Rule(models.TextChoices):
        NONE = "", _("No bottleneck")
        AGE = "age", _("Deals much older than usual")
        PILE_UP = "pile_up", _("Deals piling up")

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="health")
    is_bottleneck = models.BooleanField(_("bottleneck"), default=False)
    rule = models.CharField(_("rule that fired"), max_length=10, choices=Rule, blank=True)
    explanation = models.CharField(_("explanation"), max_length=300, blank=True)
    numbers = models.JSONField(_("numbers behind the verdict"), default=dict, blank=True)
    # 1.5 × the stage's usual time in stage (empty without history): the board counts the
    # deals of a column that have been in the stage longer than this (docs/board.md).
    age_limit = models.DurationField(_("age limit"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("stage health")
        verbose_name_plural = _("stage health")

    def __str__(self):
        return f"{self.stage}: {self.get_rule_display()}"

    @property
    def explanation_text(self):
        """The verdict in the viewer's language, rebuilt from the numbers (the stored
        `explanation` is in the language the analytics job ran in)."""
        numbers = self.numbers or {}
        try:
            if self.rule == self.Rule.AGE:
                return gettext("%(open)d open deals, median age %(age).1f days > 1.5 × usual %(usual).1f days") % {
                    "open": numbers["open_count"],
                    "age": numbers["median_age_days"],
                    "usual": numbers["historical_median_days"],
                }
            if self.rule == self.Rule.PILE_UP:
                return gettext("%(open)d open deals > 1.5 × the 90-day daily average of %(average).1f") % {
                    "open": numbers["open_count"],
                    "average": numbers["average_daily_open"],
                }
        except (KeyError, TypeError):
            pass
        return self.explanation


class StageOwnerLoad(models.Model):
    """The average number of open deals an owner had in a stage per day over the last 90
    days, written with the bottleneck verdicts. The board sums it over the owners it shows
    to judge a pile-up in exactly the deals of a column (docs/board.md)."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="owner_loads")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    average_daily_open = models.FloatField(_("average open deals per day"))

    class Meta:
        verbose_name = _("stage load per owner")
        verbose_name_plural = _("stage loads per owner")
        constraints = [models.UniqueConstraint(fields=["stage", "owner"], name="stage_owner_load_unique")]

    def __str__(self):
        return f"{self.stage}: {self.owner_id} {self.average_daily_open:.1f}"


class DealSummary(models.Model):
    """The deals of one (stage, owner, status, region of the deal's organization), summed:
    kept by database triggers on `deals_deal` and `leads_organization` in the same
    transaction as every write (deals/summary_sql.py, docs/board.md "Totals and the poll
    token"); `region` is '' for a deal without an organization or whose organization has
    none. Money is kept in cents so that SQLite sums stay exact; the weighted sum is split
    so that a stage's probability is applied when it is read:
    `plain_cents` sums the values of the deals without a probability override,
    `override_weighted` sums value in cents × override. `change_count` only ever grows: the
    poll's change token. Rows are never deleted (a column that empties keeps its counter)."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Deal.Status)
    region = models.CharField(max_length=10, blank=True, default="")
    n = models.IntegerField(default=0)
    value_cents = models.DecimalField(max_digits=30, decimal_places=0, default=0)
    plain_cents = models.DecimalField(max_digits=30, decimal_places=0, default=0)
    override_weighted = models.DecimalField(max_digits=32, decimal_places=0, default=0)
    change_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("deal summary")
        verbose_name_plural = _("deal summaries")
        constraints = [
            models.UniqueConstraint(fields=["stage", "owner", "status", "region"], name="deal_summary_key"),
        ]

    def __str__(self):
        return f"{self.stage_id}/{self.owner_id}/{self.status}/{self.region}: {self.n}"
