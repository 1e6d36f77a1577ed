"""Written offers (Angebote): a quote belongs to a deal, is edited as a draft, sent once with a
number and a stored PDF, and accepted or declined by the customer online (docs/quotes.md)."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline_crm.history import AppendOnlyModel

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
ZERO = Decimal("0")


class CompanyProfile(models.Model):
    """The seller on every quote: one row, edited by admins in Django admin. What German
    business letters must name (HGB § 37a, GmbHG § 35a: legal form, registered office, register
    court and number, managing directors) and what a quote needs (VAT id, bank)."""

    company_name = models.CharField(_("company name"), max_length=200, default="")
    legal_form = models.CharField(_("legal form"), max_length=50, blank=True, help_text=_("E.g. GmbH, AG, e.K."))
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True, default="Deutschland")
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    registered_office = models.CharField(_("registered office"), max_length=100, blank=True)
    register_court = models.CharField(_("register court"), max_length=100, blank=True, help_text=_("Amtsgericht …"))
    register_number = models.CharField(_("register number"), max_length=50, blank=True, help_text=_("HRB …"))
    managing_directors = models.CharField(_("managing directors"), max_length=300, blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    logo = models.FileField(
        _("logo"),
        upload_to="company/",
        blank=True,
        help_text=_("PNG, JPEG or SVG; printed at the top of every quote."),
    )
    default_validity_days = models.PositiveSmallIntegerField(
        _("quotes valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    vat_rates = models.CharField(
        _("VAT rates offered"),
        max_length=50,
        default="19,7,0",
        help_text=_("Comma-separated percentages offered on quote lines, the first is the default."),
    )
    default_intro = models.TextField(_("default introduction"), blank=True)
    default_terms = models.TextField(_("default terms"), blank=True)
    default_payment_terms = models.CharField(
        _("default payment terms"), max_length=300, blank=True, default="Zahlbar innerhalb von 14 Tagen ohne Abzug."
    )
    consumer_prices_gross = models.BooleanField(
        _("gross prices for consumers"),
        default=True,
        help_text=_("Quotes to a contact without an organization state gross prices (PAngV)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self):
        return self.display_name or str(_("Company profile"))

    @property
    def display_name(self):
        return " ".join(part for part in (self.company_name, self.legal_form) if part)

    def vat_rate_choices(self):
        """The configured rates as Decimals, in their order (invalid entries left out)."""
        rates = []
        for part in self.vat_rates.split(","):
            try:
                rate = Decimal(part.strip().replace("%", ""))
            except ArithmeticError:
                continue
            if ZERO <= rate <= 100 and rate not in rates:
                rates.append(rate)
        return rates or [Decimal("19"), Decimal("7"), ZERO]

    @classmethod
    def current(cls):
        profile, _created = cls.objects.get_or_create(pk=1)
        return profile


class DiscountPolicy(models.Model):
    """Above which discount a quote needs a manager's approval before it may be sent: one row per
    team, and one without a team for everybody else (the installation's default)."""

    team = models.OneToOneField(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="discount_policy",
        verbose_name=_("team"),
        help_text=_("Empty: the default for users without a policy of their team."),
    )
    max_line_discount = models.DecimalField(
        _("largest line discount without approval %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=PERCENT,
    )
    max_total_discount = models.DecimalField(
        _("largest overall discount without approval %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=PERCENT,
        help_text=_("The quote's discount against its list prices, over all lines."),
    )

    class Meta:
        verbose_name = _("discount policy")
        verbose_name_plural = _("discount policies")
        constraints = [
            # One default row (team NULL); the one-to-one keeps teams unique.
            models.UniqueConstraint(Coalesce("team", Value(0)), name="discountpolicy_one_per_team"),
            models.CheckConstraint(
                condition=Q(max_line_discount__gte=0, max_line_discount__lte=100)
                & Q(max_total_discount__gte=0, max_total_discount__lte=100),
                name="discountpolicy_percent_0_100",
            ),
        ]

    def __str__(self):
        return str(self.team) if self.team_id else str(_("Default"))


class PipelineQuoteSettings(models.Model):
    """What an accepted quote does to its deal, per pipeline."""

    class OnAcceptance(models.TextChoices):
        NOTHING = "nothing", _("Only notify the owner")
        MOVE = "move", _("Move the deal to a stage")
        WIN = "win", _("Mark the deal won with the quote's net total")

    pipeline = models.OneToOneField(
        "deals.Pipeline", on_delete=models.CASCADE, related_name="quote_settings", verbose_name=_("pipeline")
    )
    on_acceptance = models.CharField(
        _("when a quote is accepted"), max_length=10, choices=OnAcceptance, default=OnAcceptance.WIN
    )
    stage = models.ForeignKey(
        "deals.Stage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stage"),
        help_text=_("For 'move the deal to a stage': a stage of this pipeline, e.g. the closing stage."),
    )

    class Meta:
        verbose_name = _("quote settings of a pipeline")
        verbose_name_plural = _("quote settings of pipelines")

    def __str__(self):
        return str(self.pipeline)


class QuoteNumber(models.Model):
    """The last number given out per year: allocated under a row lock in the transaction that
    sends the quote, so numbers are unique and without gaps (a failed send rolls it back)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("quote number sequence")
        verbose_name_plural = _("quote number sequences")

    def __str__(self):
        return f"{self.year}: {self.last}"


class Quote(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded")
        CANCELLED = "cancelled", _("Cancelled")

    class Approval(models.TextChoices):
        NOT_NEEDED = "", _("Not needed")
        PENDING = "pending", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (State.DRAFT, State.PENDING_APPROVAL, State.SENT)
    EDITABLE_STATES = (State.DRAFT,)

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="quotes", verbose_name=_("deal"))
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.DRAFT)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    revises = models.OneToOneField(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="revised_by",
        verbose_name=_("revises"),
    )
    number = models.CharField(_("number"), max_length=30, blank=True, help_text=_("Given when the quote is sent."))
    number_year = models.PositiveSmallIntegerField(_("number year"), null=True, blank=True, editable=False)
    number_seq = models.PositiveIntegerField(_("number sequence"), null=True, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="de")
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"))
    intro = models.TextField(_("introduction"), blank=True)
    terms = models.TextField(_("terms"), blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=300, blank=True)
    prices_gross = models.BooleanField(
        _("gross prices"), default=False, help_text=_("Unit prices include VAT (quotes to consumers).")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    seller = models.JSONField(_("seller"), default=dict, blank=True, help_text=_("Copied when the quote is sent."))
    buyer = models.JSONField(_("buyer"), default=dict, blank=True, help_text=_("Copied when the quote is sent."))
    recipient_email = models.EmailField(_("sent to"), blank=True)
    list_total = models.DecimalField(_("list total"), max_digits=14, decimal_places=2, default=ZERO)
    net_total = models.DecimalField(_("net total"), max_digits=14, decimal_places=2, default=ZERO)
    vat_total = models.DecimalField(_("VAT total"), max_digits=14, decimal_places=2, default=ZERO)
    gross_total = models.DecimalField(_("gross total"), max_digits=14, decimal_places=2, default=ZERO)
    vat_breakdown = models.JSONField(_("VAT per rate"), default=list, blank=True)
    max_line_discount = models.DecimalField(_("largest line discount %"), max_digits=5, decimal_places=2, default=ZERO)
    approval = models.CharField(_("approval"), max_length=10, choices=Approval, default=Approval.NOT_NEEDED, blank=True)
    approval_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    approval_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    approval_comment = models.TextField(_("approval comment"), blank=True)
    pdf = models.FileField(_("PDF"), upload_to="quotes/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    token_hash = models.CharField(_("link token hash"), max_length=64, blank=True, editable=False)
    token_revoked_at = models.DateTimeField(_("link revoked at"), null=True, blank=True)
    first_viewed_at = models.DateTimeField(_("first viewed"), null=True, blank=True)
    last_viewed_at = models.DateTimeField(_("last viewed"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("When it expired, was superseded or cancelled.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(
                fields=["number", "revision"], condition=~Q(number=""), name="quote_number_revision_unique"
            ),
            models.UniqueConstraint(
                fields=["number_year", "number_seq", "revision"], name="quote_year_seq_revision_unique"
            ),
            models.UniqueConstraint(fields=["token_hash"], condition=~Q(token_hash=""), name="quote_token_unique"),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "pending_approval", "cancelled"]) | ~Q(number=""),
                name="quote_sent_has_number",
            ),
            models.CheckConstraint(
                condition=Q(max_line_discount__gte=0, max_line_discount__lte=100), name="quote_discount_0_100"
            ),
        ]
        indexes = [
            models.Index(fields=["deal", "state"], name="quote_deal_state"),
            models.Index(fields=["state", "valid_until"], name="quote_state_valid_until"),
            models.Index(fields=["sent_at"], name="quote_sent_at"),
            # The dashboard's quotes answered in a period (analytics.quote_metrics).
            models.Index(fields=["answered_at"], name="quote_answered_at"),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self):
        if not self.number:
            return str(_("Draft quote"))
        return self.number if self.revision == 1 else f"{self.number}-R{self.revision}"

    @property
    def is_editable(self):
        return self.state in self.EDITABLE_STATES

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @property
    def total_discount_percent(self):
        """The discount over all lines against their list prices, in percent (0 when no list total)."""
        if not self.list_total:
            return ZERO
        return ((self.list_total - self.net_total) * 100 / self.list_total).quantize(Decimal("0.01"))

    def expires_at(self):
        """The end of the valid-until day in the installation's time zone: the first moment it is expired."""
        tz = ZoneInfo(settings.TIME_ZONE)
        return datetime.combine(self.valid_until + timedelta(days=1), time.min, tzinfo=tz)

    def is_past_validity(self, now=None):
        return (now or timezone.now()) >= self.expires_at()


class QuoteLine(models.Model):
    """One position of a quote: copied from the deal's line items when the quote is made, then
    edited in the quote while it is a draft. Optional lines are shown but not in the totals."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("quote"))
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        "deals.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Net, or gross on a quote with gross prices."),
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    vat_rate = models.DecimalField(
        _("VAT rate %"), max_digits=5, decimal_places=2, default=Decimal("19"), validators=PERCENT
    )
    is_optional = models.BooleanField(_("optional"), default=False, help_text=_("Shown, not in the totals."))
    list_amount = models.DecimalField(
        _("amount before discount"), max_digits=14, decimal_places=2, default=ZERO, editable=False
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        editable=False,
        help_text=_("Quantity × unit price less the discount, rounded to cents (net, or gross with gross prices)."),
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quoteline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="quoteline_price_non_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="quoteline_discount_0_100"
            ),
            models.CheckConstraint(condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="quoteline_vat_0_100"),
        ]

    def __str__(self):
        return f"{Decimal(self.quantity).normalize():f} × {self.description}"

    def save(self, *args, **kwargs):
        from quotes.money import line_amount

        self.list_amount, self.amount = line_amount(
            quantity=self.quantity, unit_price=self.unit_price, discount_percent=self.discount_percent
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "list_amount", "amount"}
        super().save(*args, **kwargs)


class QuoteEvent(AppendOnlyModel):
    """What happened to a quote, for the deal's timeline and the reports."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        APPROVAL_REQUESTED = "approval_requested", _("approval requested")
        APPROVED = "approved", _("discount approved")
        REJECTED = "rejected", _("discount rejected")
        SENT = "sent", _("sent")
        VIEWED = "viewed", _("viewed")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        SUPERSEDED = "superseded", _("superseded")
        CANCELLED = "cancelled", _("cancelled")
        LINK_REVOKED = "link_revoked", _("link revoked")
        LINK_RENEWED = "link_renewed", _("new link")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events", verbose_name=_("quote"))
    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.CASCADE, related_name="quote_events", verbose_name=_("deal")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("quote event")
        verbose_name_plural = _("quote events")
        indexes = [models.Index(fields=["deal", "at"], name="quoteevent_deal_at")]

    def __str__(self):
        return f"{self.quote}: {self.get_kind_display()}"


class QuoteView(AppendOnlyModel):
    """One opening of the quote's link. Mail scanners open links before the customer does: an
    opening by a known scanner's user agent or within seconds of sending is kept but flagged,
    and does not count as viewed."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="views", verbose_name=_("quote"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    flagged = models.CharField(
        _("not trusted because"), max_length=100, blank=True, help_text=_("Empty: counted as a view.")
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("quote view")
        verbose_name_plural = _("quote views")

    def __str__(self):
        return f"{self.quote} @ {self.at:%Y-%m-%d %H:%M}"


class QuoteResponse(AppendOnlyModel):
    """The customer's answer: accepted or declined, by whom, when, from where, and exactly
    which revision and PDF (its SHA-256) the answer was given to."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    quote = models.OneToOneField(Quote, on_delete=models.CASCADE, related_name="response", verbose_name=_("quote"))
    kind = models.CharField(_("answer"), max_length=10, choices=Kind)
    name = models.CharField(_("name of the signer"), max_length=200)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"))
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)
    net_total = models.DecimalField(_("net total"), max_digits=14, decimal_places=2)
    gross_total = models.DecimalField(_("gross total"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("answer to a quote")
        verbose_name_plural = _("answers to quotes")

    def __str__(self):
        return f"{self.quote}: {self.get_kind_display()} ({self.name})"
