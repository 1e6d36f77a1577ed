from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Consent, ConsentPurpose, Contact, DecisionRole, Industry, Organization, Region, SizeBand
from leads import contact_keys
from pipeline_crm.history import AppendOnlyModel


class Persona(models.Model):
    """An admin-edited buyer profile used to segment leads."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    buying_motives = models.TextField(_("buying motives"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("persona")
        verbose_name_plural = _("personas")

    def __str__(self):
        return self.name


class Lead(models.Model):
    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        TRADE_FAIR = "trade_fair", _("Trade fair")
        COLD_CALL = "cold_call", _("Cold call")
        REFERRAL = "referral", _("Referral")
        BLOG = "blog", _("Blog post")
        WEBINAR = "webinar", _("Webinar")
        CASE_STUDY = "case_study", _("Case study")
        SOCIAL = "social", _("Social media")
        RETARGETING = "retargeting", _("Retargeting")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        NURTURING = "nurturing", _("Nurturing")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    class Level(models.IntegerChoices):
        """The labelled scale of each qualification criterion."""

        UNKNOWN = 0, _("unknown")
        LOW = 1, _("low")
        MEDIUM = 2, _("medium")
        HIGH = 3, _("high")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads")
    message = models.TextField(_("message"), blank=True)
    # The normalised e-mail and phone (leads.contact_keys), kept in step by save() and by the
    # bulk writers, so that finding the same person is an indexed lookup.
    email_key = models.CharField(_("e-mail key"), max_length=254, blank=True, editable=False)
    phone_key = models.CharField(_("phone key"), max_length=contact_keys.PHONE_KEY_LENGTH, blank=True, editable=False)

    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.OTHER)
    campaign = models.CharField(_("campaign / content"), max_length=200, blank=True)

    industry = models.CharField(_("industry"), max_length=20, choices=Industry, blank=True)
    size_band = models.CharField(_("company size"), max_length=10, choices=SizeBand, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=Region, blank=True)
    decision_role = models.CharField(_("decision role"), max_length=20, choices=DecisionRole, blank=True)
    persona = models.ForeignKey(
        Persona, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads", verbose_name=_("persona")
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.NEW)
    disqualified_reason = models.CharField(_("disqualification reason"), max_length=200, blank=True)

    need = models.PositiveSmallIntegerField(_("need"), choices=Level, default=Level.UNKNOWN)
    budget = models.PositiveSmallIntegerField(_("budget"), choices=Level, default=Level.UNKNOWN)
    authority = models.PositiveSmallIntegerField(_("decision authority"), choices=Level, default=Level.UNKNOWN)
    timing = models.PositiveSmallIntegerField(_("timing"), choices=Level, default=Level.UNKNOWN)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    score_breakdown = models.JSONField(_("score breakdown"), default=dict, blank=True)

    # What the person ticked on the form (the request); `email_consent` is the documented state
    # for marketing e-mail, confirmed by double opt-in (docs/nurturing.md, "Consent").
    consent = models.BooleanField(_("consent to be contacted"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    email_consent = models.CharField(
        _("e-mail consent"), max_length=10, choices=Consent, default=Consent.UNKNOWN, editable=False
    )
    email_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True, editable=False)
    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    tags = models.ManyToManyField("customers.Tag", blank=True, related_name="leads", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The CSV import that created the lead and the file's line: unique together, so a retried
    # or redelivered import skips the rows it already wrote.
    lead_import = models.ForeignKey(
        "LeadImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # the unique constraint's index starts with this column
        related_name="leads",
        verbose_name=_("CSV import"),
    )
    import_row = models.PositiveIntegerField(_("import row"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=100), name="lead_score_0_100"),
            models.CheckConstraint(
                condition=models.Q(need__lte=3, budget__lte=3, authority__lte=3, timing__lte=3),
                name="lead_criteria_on_scale",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="disqualified") | ~models.Q(disqualified_reason=""),
                name="lead_disqualified_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="converted") | models.Q(converted_at__isnull=False),
                name="lead_converted_has_time",
            ),
            models.UniqueConstraint(fields=["lead_import", "import_row"], name="lead_unique_import_row"),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_status"),
            models.Index(fields=["status", "-score"], name="lead_status_score"),
            models.Index(fields=["source", "campaign"], name="lead_source_campaign"),
            models.Index(fields=["created_at"], name="lead_created"),
            models.Index(Lower("email"), name="lead_lower_email"),
            models.Index(fields=["email_key"], name="lead_email_key"),
            models.Index(fields=["phone_key"], name="lead_phone_key"),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.company_name})" if self.company_name else name

    def save(self, *args, **kwargs):
        self.set_contact_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"email", "phone"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "email_key", "phone_key"}
        super().save(*args, **kwargs)

    def set_contact_keys(self):
        """Recompute email_key and phone_key; bulk writers call it, save() does it itself."""
        self.email_key = contact_keys.email_key(self.email)
        self.phone_key = contact_keys.phone_key(self.phone)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class LeadStatusChange(AppendOnlyModel):
    """Append-only history of a lead's status; automation and analytics read it."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=20, choices=Lead.Status, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Lead.Status)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("lead status change")
        verbose_name_plural = _("lead status changes")
        indexes = [
            models.Index(fields=["lead", "at"], name="leadstatus_lead_at"),
            models.Index(fields=["to_status", "at"], name="leadstatus_to_at"),
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.from_status or '—'} → {self.to_status}"


class LeadTouch(AppendOnlyModel):
    """A later contact from a person who is already a lead (today: the web form submitted
    again with the same e-mail). The lead's fields are not overwritten; what the person
    sent this time is kept here, shown on the lead's page, and bumps the lead's last touch."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches", verbose_name=_("lead"))
    source = models.CharField(_("source"), max_length=20, choices=Lead.Source)
    campaign = models.CharField(_("campaign / content"), max_length=200, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    message = models.TextField(_("message"), blank=True)
    consent = models.BooleanField(_("consent to be contacted"), default=False)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lead touch")
        verbose_name_plural = _("lead touches")
        indexes = [models.Index(fields=["lead", "-at"], name="leadtouch_lead_at")]

    def __str__(self):
        return f"{self.lead_id}: {self.get_source_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class LeadConsentChange(AppendOnlyModel):
    """The documented history of a lead's e-mail consent (as `customers.ConsentChange` for contacts)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consent_changes", verbose_name=_("lead"))
    status = models.CharField(_("consent"), max_length=10, choices=Consent)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=ConsentPurpose, default=ConsentPurpose.MARKETING_EMAIL
    )
    source = models.CharField(_("source"), max_length=200)
    proof = models.TextField(_("proof"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lead consent change")
        verbose_name_plural = _("lead consent changes")


class Campaign(models.Model):
    """A marketing campaign with its cost: leads name it in `Lead.campaign` (matched by source and
    name, ignoring case), and the dashboard divides the cost by its leads and won deals."""

    source = models.CharField(_("source"), max_length=20, choices=Lead.Source)
    name = models.CharField(_("name"), max_length=200)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["source", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint("source", Lower("name"), name="campaign_unique_name_per_source"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="campaign_cost_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_source_display()}: {self.name}"


class SourceCost(models.Model):
    """What a lead source cost in one month, beside its campaigns (fairs, ads, a directory listing)."""

    source = models.CharField(_("source"), max_length=20, choices=Lead.Source)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["source", "-month"]
        verbose_name = _("lead source cost")
        verbose_name_plural = _("lead source costs")
        constraints = [
            models.UniqueConstraint(fields=["source", "month"], name="sourcecost_unique_month"),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="sourcecost_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.month:%Y-%m}"

    def clean(self):
        super().clean()
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)


class ScoringSettings(models.Model):
    """The qualification scoring configuration (one row, edited in admin).

    Each criterion contributes `weight × level / 3` points (rounded half up); the weights
    add up to 100, so the score runs from 0 to 100. The band thresholds turn a score
    into hot / warm / cold.
    """

    need_weight = models.PositiveSmallIntegerField(_("need weight"), default=30)
    budget_weight = models.PositiveSmallIntegerField(_("budget weight"), default=25)
    authority_weight = models.PositiveSmallIntegerField(_("decision authority weight"), default=25)
    timing_weight = models.PositiveSmallIntegerField(_("timing weight"), default=20)
    hot_threshold = models.PositiveSmallIntegerField(
        _("hot from score"), default=70, help_text=_("A lead with at least this score is hot.")
    )
    warm_threshold = models.PositiveSmallIntegerField(
        _("warm from score"), default=40, help_text=_("A lead with at least this score (and below hot) is warm.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1), name="scoring_settings_singleton", violation_error_message=_("One row only.")
            ),
            models.CheckConstraint(
                condition=Exact(
                    models.F("need_weight")
                    + models.F("budget_weight")
                    + models.F("authority_weight")
                    + models.F("timing_weight"),
                    100,
                ),
                name="scoring_weights_sum_100",
                violation_error_message=_("The four weights must add up to 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(warm_threshold__lt=models.F("hot_threshold"), hot_threshold__lte=100),
                name="scoring_thresholds_ordered",
                violation_error_message=_("The warm threshold must be below the hot threshold (at most 100)."),
            ),
        ]

    def __str__(self):
        return str(_("Qualification scoring"))

    @classmethod
    def get_solo(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj

    def weights(self):
        return {
            "need": self.need_weight,
            "budget": self.budget_weight,
            "authority": self.authority_weight,
            "timing": self.timing_weight,
        }

    def clean(self):
        total = sum(self.weights().values())
        if total != 100:
            raise ValidationError(_("The four weights must add up to 100 (now %(sum)s).") % {"sum": total})
        if self.warm_threshold >= self.hot_threshold:
            raise ValidationError(_("The warm threshold must be below the hot threshold."))


class WebFormSettings(models.Model):
    """Who receives the leads of the public web form (one row, edited in admin).

    A team set: round-robin across its active members; else the default owner; else the
    lead stays unassigned (managers and admins see unassigned leads and hand them out).
    """

    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default owner"),
    )
    round_robin_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("round-robin team"),
        help_text=_("If set, new web leads rotate across this team's active members."),
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("last assigned"),
    )

    class Meta:
        verbose_name = _("web form settings")
        verbose_name_plural = _("web form settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="webform_settings_singleton")]

    def __str__(self):
        return str(_("Web-to-lead form"))

    @classmethod
    def get_solo(cls):
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class LeadImport(models.Model):
    """One CSV upload: its validated rows, the per-row report, and the import's progress.

    The import commits in batches; `heartbeat_at` moves with every batch (and when the import
    is queued or claimed), so an import whose worker died is recognised by its age and marked
    failed; a retry skips the rows that already have their lead (`Lead.import_row`).
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Awaiting decision")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    class Failure(models.TextChoices):
        STALLED = "stalled", _("Stopped making progress")
        NOT_STARTED = "not_started", _("Not started by a worker")
        INTERRUPTED = "interrupted", _("Interrupted too often")
        ERROR = "error", _("Error")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_imports", verbose_name=_("created by")
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    imported_rows = models.PositiveIntegerField(_("imported rows"), default=0)
    skipped_rows = models.PositiveIntegerField(
        _("skipped rows"), default=0, help_text=_("Rows whose e-mail reached another lead after the preview.")
    )
    rows = models.JSONField(_("valid rows to import"), default=list, blank=True)
    report = models.JSONField(_("row report"), default=list, blank=True)
    # The uploaded bytes, kept while the preview waits for a decision so that the file can be
    # read again with another encoding; emptied when the user decides.
    source = models.BinaryField(_("uploaded file"), blank=True, default=b"", editable=False)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True, editable=False)
    encoding_detected = models.CharField(_("detected encoding"), max_length=20, blank=True, editable=False)
    # The file's header, the lead field each column fills ("" = ignored; leads.import_mapping)
    # and the header's fingerprint, by which the user's next file with it gets the same mapping.
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=list, blank=True)
    header_key = models.CharField(_("header fingerprint"), max_length=64, blank=True, editable=False)
    failure = models.CharField(_("failure"), max_length=20, choices=Failure, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("runs started"), default=0)
    run_token = models.UUIDField(_("current run"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="leadimport_status_heartbeat"),
            models.Index(fields=["created_by", "header_key"], name="leadimport_user_header"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def processed_rows(self):
        """Rows the import has dealt with: imported, or skipped as duplicates since the preview."""
        return self.imported_rows + self.skipped_rows
