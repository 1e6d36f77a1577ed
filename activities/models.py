from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities import subjects


class Kind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    TASK = "task", _("Task")
    FOLLOW_UP = "follow_up", _("Follow-up")


class FollowUpRule(models.Model):
    """Admin-edited automation: when the trigger happens, do the action."""

    class Trigger(models.TextChoices):
        STAGE_ENTERED = "stage_entered", _("Deal entered stage")
        DEAL_WON = "deal_won", _("Deal won")
        DEAL_LOST = "deal_lost", _("Deal lost")
        DEAL_IDLE = "deal_idle", _("Deal idle in its stage for N days")
        LEAD_IDLE = "lead_idle", _("Lead idle in nurturing for N days")
        LEAD_CREATED = "lead_created", _("Lead created from source")
        # Provided by the quotes app through activities.triggers (this app does not read quotes).
        QUOTE_NOT_VIEWED = "quote_not_viewed", _("Quote sent and not viewed after N days")
        QUOTE_NOT_ANSWERED = "quote_not_answered", _("Quote viewed but not answered after N days")
        QUOTE_EXPIRING = "quote_expiring", _("Quote expires in N days")
        # Provided by the mail app through activities.triggers (this app does not read e-mail).
        EMAIL_NO_REPLY = "email_no_reply", _("No reply from the customer to an e-mail for N days")
        # Provided by the quotes app: the moment the quote was sent, first viewed, declined.
        QUOTE_SENT = "quote_sent", _("Quote sent")
        QUOTE_VIEWED = "quote_viewed", _("Quote viewed by the customer")
        QUOTE_DECLINED = "quote_declined", _("Quote declined by the customer")
        # Built in: a lead created by the web form, or a known lead sending the form again.
        WEB_FORM_SUBMITTED = "web_form_submitted", _("Web form submitted")
        # Built in: N days after a deal was lost (optionally for one lost reason).
        DEAL_LOST_AFTER = "deal_lost_after", _("Deal lost N days ago")
        # Provided by the nurturing app (tracked links of marketing e-mails).
        LINK_CLICKED = "link_clicked", _("Link in a marketing e-mail clicked")
        CONTENT_DOWNLOADED = "content_downloaded", _("Content downloaded from a marketing e-mail")

    # Triggers whose N (idle_days) must be given: there is no stage to take it from.
    NEEDS_DAYS = (
        Trigger.QUOTE_NOT_VIEWED,
        Trigger.QUOTE_NOT_ANSWERED,
        Trigger.QUOTE_EXPIRING,
        Trigger.EMAIL_NO_REPLY,
        Trigger.DEAL_LOST_AFTER,
    )

    class Action(models.TextChoices):
        CREATE_ACTIVITY = "create_activity", _("Create an activity for the owner")
        NOTIFY = "notify", _("Notify the owner")
        # Run by the app that registered them (activities.actions); their settings live there.
        SEND_EMAIL = "send_email", _("Send a template e-mail to the person")
        ENROL = "enrol", _("Enrol the person in a sequence")

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger)
    stage = models.ForeignKey(
        "deals.Stage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follow_up_rules",
        verbose_name=_("stage"),
        help_text=_("For 'deal entered stage' and (optionally) 'deal idle'."),
    )
    idle_days = models.PositiveSmallIntegerField(
        _("days (N)"),
        null=True,
        blank=True,
        help_text=_(
            "For idle triggers (empty: the stage's rotting days, 14 for leads) and, required, for the quote "
            "triggers: days since sending, since the first view, or before the quote expires; and for 'no reply': "
            "days since the e-mail was sent."
        ),
    )
    lead_source = models.CharField(_("lead source"), max_length=20, blank=True)
    lost_reason = models.ForeignKey(
        "deals.LostReason",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lost reason"),
        help_text=_("For 'deal lost N days ago': only deals lost for this reason (empty: any)."),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action, default=Action.CREATE_ACTIVITY)
    activity_kind = models.CharField(_("activity kind"), max_length=20, choices=Kind, default=Kind.FOLLOW_UP)
    subject_template = models.CharField(
        _("subject"),
        max_length=200,
        help_text=subjects.HELP_TEXT,
        validators=[subjects.validate_subject_template],
    )
    due_in_days = models.PositiveSmallIntegerField(_("due in (days)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["trigger", "name"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(trigger="stage_entered") | Q(stage__isnull=False),
                name="rule_stage_entered_needs_stage",
            ),
            models.CheckConstraint(
                condition=~Q(
                    trigger__in=[
                        "quote_not_viewed",
                        "quote_not_answered",
                        "quote_expiring",
                        "email_no_reply",
                        "deal_lost_after",
                    ]
                )
                | Q(idle_days__isnull=False),
                name="rule_quote_trigger_needs_days",
                violation_error_message=_("Quote triggers need the number of days (N)."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.trigger in self.NEEDS_DAYS and self.idle_days is None:
            raise ValidationError({"idle_days": _("Enter the number of days (N) for this trigger.")})


class Activity(models.Model):
    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached, talked")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    class RemindBefore(models.IntegerChoices):
        MINUTES_15 = 15, _("15 minutes before")
        HOUR_1 = 60, _("1 hour before")
        DAY_1 = 24 * 60, _("1 day before")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.TASK)
    subject = models.CharField(_("subject"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    all_day = models.BooleanField(_("all day"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="activities", verbose_name=_("assignee")
    )
    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.CASCADE, null=True, blank=True, related_name="activities", verbose_name=_("deal")
    )
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="activities", verbose_name=_("lead")
    )
    rule = models.ForeignKey(
        FollowUpRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("rule"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    remind_before_minutes = models.PositiveIntegerField(
        _("reminder"),
        null=True,
        blank=True,
        choices=RemindBefore,
        help_text=_("Empty: the assignee's default reminder lead time."),
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=Q(deal__isnull=False, lead__isnull=True) | Q(deal__isnull=True, lead__isnull=False),
                name="activity_deal_xor_lead",
                violation_error_message=_("An activity belongs to exactly one deal or one lead."),
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_at"], name="activity_assignee_due"),
            models.Index(fields=["deal", "done_at", "due_at"], name="activity_deal_open"),
            models.Index(fields=["lead", "done_at", "due_at"], name="activity_lead_open"),
            models.Index(
                fields=["due_at"],
                condition=Q(done_at__isnull=True, reminder_sent_at__isnull=True),
                name="activity_reminder_pending",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_overdue(self):
        """Open and past due; an all-day activity is overdue once its day is over."""
        if self.done_at is not None or self.due_at is None:
            return False
        if self.all_day:
            return timezone.localtime(self.due_at).date() < timezone.localdate()
        return self.due_at < timezone.now()


class Notification(models.Model):
    """An in-app message for one user."""

    class Kind(models.TextChoices):
        INFO = "info", _("Information")
        REMINDER = "reminder", _("Reminder")
        RULE = "rule", _("Follow-up rule")
        ALERT = "alert", _("Conversion alert")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.INFO)
    dedupe_key = models.CharField(
        _("de-duplication key"),
        max_length=100,
        blank=True,
        help_text=_("Unique when set, e.g. one reminder per due time."),
    )
    message = models.CharField(_("message"), max_length=300)
    link = models.CharField(
        _("link"),
        max_length=300,
        blank=True,
        help_text=_("A page of this site the notification opens when it has no deal or lead, e.g. the dashboard."),
    )
    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]
        constraints = [
            # The backstop of "exactly once": one reminder notification per activity.
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="notification_unique_dedupe_key"
            ),
        ]

    def __str__(self):
        return self.message


class OutgoingEmail(models.Model):
    """The e-mail outbox: a row is written in the same transaction as the event that
    needs the e-mail (a claimed reminder, a digest), then delivered by `email_deliver_pending`.

    `key` is unique, so an e-mail is queued at most once. Delivery claims the row with a
    lease (`claimed_at`, renewed right before the message is sent); a worker that dies
    after claiming leaves the lease to expire and the next run delivers it. `sent_at` is
    set only after the mail server accepted it.

    An e-mail written in a user's name (a quote to a customer) goes out from the
    installation's address (DEFAULT_FROM_EMAIL) with `from_name` as its display name and
    `reply_to` as Reply-To, so answers reach the user while the mail server only ever sends
    as the installation. An attachment is stored as a file with the row, so a retry sends
    exactly the bytes that were queued.
    """

    key = models.CharField(_("key"), max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outgoing_emails", verbose_name=_("user")
    )
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    from_name = models.CharField(
        _("sender name"), max_length=200, blank=True, help_text=_("Shown with the installation's sender address.")
    )
    reply_to = models.EmailField(_("reply to"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="outbox/%Y/%m/", blank=True, max_length=200)
    attachment_name = models.CharField(_("attachment file name"), max_length=200, blank=True)
    attachment_type = models.CharField(_("attachment content type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outgoingemail_pending",
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"


class DigestLog(models.Model):
    """One row per user and local date: the digest of that day was handled (never twice)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_logs")
    date = models.DateField(_("date"))
    activity_count = models.PositiveIntegerField(_("activities listed"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-date", "user"]
        verbose_name = _("digest log")
        verbose_name_plural = _("digest logs")
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="digest_once_per_user_and_day")]

    def __str__(self):
        return f"{self.user_id} {self.date}"


class RuleFiring(models.Model):
    """A follow-up rule fired for one occurrence (a stage change, a lead, an idle period).

    The unique (rule, occurrence) constraint makes the engine idempotent.
    """

    rule = models.ForeignKey(FollowUpRule, on_delete=models.CASCADE, related_name="firings", verbose_name=_("rule"))
    occurrence = models.CharField(_("occurrence"), max_length=100)
    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    stage_change = models.ForeignKey(
        "deals.StageChange", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred at"), help_text=_("When the triggering event happened."))
    activity = models.ForeignKey(Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    fired_at = models.DateTimeField(_("fired at"), default=timezone.now)

    class Meta:
        ordering = ["-fired_at", "-id"]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        constraints = [models.UniqueConstraint(fields=["rule", "occurrence"], name="rule_fires_once_per_occurrence")]
        indexes = [
            models.Index(fields=["rule", "stage_change"], name="rulefiring_rule_stagechange"),
            models.Index(fields=["rule", "deal", "occurred_at"], name="rulefiring_rule_deal"),
            models.Index(fields=["rule", "lead", "occurred_at"], name="rulefiring_rule_lead"),
        ]

    def __str__(self):
        return f"{self.rule_id}: {self.occurrence}"
