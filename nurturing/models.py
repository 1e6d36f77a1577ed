"""Lead nurturing (docs/nurturing.md): segments, multi-step sequences and the people enrolled in
them, the marketing e-mails they send with their tracked links, clicks and opens, the list of
addresses that must not get marketing e-mail, and the double opt-in confirmations.

The consent itself (the state per contact and lead with its documented history) lives with the
records it belongs to: `customers.Contact.email_consent` with `customers.ConsentChange`, and
`leads.Lead.email_consent` with `leads.LeadConsentChange`.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pipeline_crm.history import AppendOnlyModel


def new_token():
    return secrets.token_urlsafe(18)


class Segment(models.Model):
    """A saved filter over contacts or leads: the list's FilterSet parameters as a query string,
    evaluated live (never a stored member list)."""

    class Kind(models.TextChoices):
        CONTACTS = "contacts", _("contacts")
        LEADS = "leads", _("leads")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("of"), max_length=10, choices=Kind)
    query = models.TextField(_("filters"), blank=True, help_text=_("The list's query string."))
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="segments", verbose_name=_("owner")
    )
    # Members are evaluated in the owner's scope: a segment never reaches records its owner may not see.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [models.UniqueConstraint(Lower("name"), name="segment_unique_name")]

    def __str__(self):
        return self.name


class Sequence(models.Model):
    """A named multi-step plan of e-mails, waits, tasks and branches."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        ARCHIVED = "archived", _("archived")

    class Sender(models.TextChoices):
        RECORD_OWNER = "record_owner", _("the owner of the contact or lead")
        SEQUENCE_OWNER = "sequence_owner", _("the sequence's owner")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sequences", verbose_name=_("owner")
    )
    sender = models.CharField(_("sent by"), max_length=20, choices=Sender, default=Sender.RECORD_OWNER)
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sequences",
        verbose_name=_("segment"),
        help_text=_("Enrol the segment's members now and whoever enters it later."),
    )
    auto_enrol = models.BooleanField(_("enrol new segment members"), default=True)
    allow_overlap = models.BooleanField(
        _("may mail alongside other sequences"),
        default=False,
        help_text=_("Only admins may allow a person to be in this and another mailing sequence at once."),
    )
    track_opens = models.BooleanField(
        _("count opens (estimate)"),
        default=False,
        help_text=_("Adds a tracking pixel. Privacy proxies load images on delivery, so opens are an estimate."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self):
        return self.name


class Step(models.Model):
    """One step of a sequence, run in `position` order unless a branch jumps."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Send an e-mail from a template")
        WAIT = "wait", _("Wait")
        TASK = "task", _("Create a task for the owner")
        BRANCH = "branch", _("If … then … else …")

    class Condition(models.TextChoices):
        OPENED = "opened", _("opened the last e-mail")
        CLICKED = "clicked", _("clicked a link in the last e-mail")
        REPLIED = "replied", _("replied")
        QUOTE_VIEWED = "quote_viewed", _("viewed the quote")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps", verbose_name=_("sequence"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    # email
    template = models.ForeignKey(
        "mail.EmailTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    # wait: N days, or until the next `wait_weekday` (0 = Monday) at `wait_time` in the person's time zone
    wait_days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    wait_weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    wait_time = models.TimeField(_("time of day"), null=True, blank=True)
    # task
    task_subject = models.CharField(_("task"), max_length=200, blank=True)
    task_due_days = models.PositiveSmallIntegerField(_("due in (days)"), default=0)
    # branch: look back over this enrolment's e-mails; go to a position, or end the sequence (null)
    condition = models.CharField(_("condition"), max_length=15, choices=Condition, blank=True)
    then_position = models.PositiveSmallIntegerField(_("then go to step"), null=True, blank=True)
    else_position = models.PositiveSmallIntegerField(_("else go to step"), null=True, blank=True)

    class Meta:
        ordering = ["sequence", "position"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [models.UniqueConstraint(fields=["sequence", "position"], name="step_unique_position")]

    def __str__(self):
        return f"{self.position}. {self.get_kind_display()}"

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == self.Kind.EMAIL and self.template_id is None:
            errors["template"] = _("Choose the template this step sends.")
        if self.kind == self.Kind.WAIT:
            if self.wait_days is None and self.wait_weekday is None:
                errors["wait_days"] = _("Say how many days to wait, or the weekday to wait for.")
            if self.wait_weekday is not None and not 0 <= self.wait_weekday <= 6:
                errors["wait_weekday"] = _("A weekday is 0 (Monday) to 6 (Sunday).")
        if self.kind == self.Kind.TASK and not self.task_subject.strip():
            errors["task_subject"] = _("Name the task.")
        if self.kind == self.Kind.BRANCH and not self.condition:
            errors["condition"] = _("Choose the condition.")
        if errors:
            raise ValidationError(errors)


class Enrolment(models.Model):
    """A contact or a lead going through a sequence."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        COMPLETED = "completed", _("completed")
        EXITED = "exited", _("left the sequence")

    class Via(models.TextChoices):
        MANUAL = "manual", _("by hand")
        SEGMENT = "segment", _("by segment")
        RULE = "rule", _("by rule")

    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("sequence")
    )
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    via = models.CharField(_("enrolled"), max_length=10, choices=Via, default=Via.MANUAL)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    # The step to run next (its position) and when; null when the enrolment ended.
    next_position = models.PositiveSmallIntegerField(_("next step"), null=True, blank=True)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    # Claim-and-mark, as for reminders: a worker claims due rows under a lease.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    exit_reason = models.CharField(_("reason"), max_length=30, blank=True)
    exit_detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=False, lead__isnull=True) | Q(contact__isnull=True, lead__isnull=False),
                name="enrolment_contact_or_lead",
            ),
            # A person is in a sequence at most once at a time (ended enrolments stay as history).
            models.UniqueConstraint(
                fields=["sequence", "contact"], condition=Q(status="active"), name="enrolment_active_contact_once"
            ),
            models.UniqueConstraint(
                fields=["sequence", "lead"], condition=Q(status="active"), name="enrolment_active_lead_once"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_run_at"], name="enrolment_due"),
            models.Index(fields=["contact", "status"], name="enrolment_contact"),
            models.Index(fields=["lead", "status"], name="enrolment_lead"),
        ]

    def __str__(self):
        return f"{self.sequence_id}: {self.contact_id or self.lead_id}"


class EnrolmentEvent(AppendOnlyModel):
    """What happened to an enrolment: shown on the person's timeline."""

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        STEP = "step", _("step done")
        SKIPPED = "skipped", _("step skipped")
        POSTPONED = "postponed", _("postponed")
        EXITED = "exited", _("left the sequence")
        COMPLETED = "completed", _("completed")
        PAUSED = "paused", _("paused")
        RESUMED = "resumed", _("resumed")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    # Copied from the enrolment so a timeline reads one indexed table.
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    position = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment events")
        indexes = [
            models.Index(fields=["contact", "at"], name="enrolevent_contact_at"),
            models.Index(fields=["lead", "at"], name="enrolevent_lead_at"),
        ]


class Send(models.Model):
    """A marketing e-mail to one person: from a sequence step or a rule. The e-mail itself is a
    `mail.EmailMessage` (purpose "marketing"); this row holds what the numbers count."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        WITHHELD = "withheld", _("withheld at sending")

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.SET_NULL, null=True, blank=True, related_name="sends")
    sequence = models.ForeignKey(Sequence, on_delete=models.SET_NULL, null=True, blank=True, related_name="sends")
    step = models.ForeignKey(Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="sends")
    rule = models.ForeignKey(
        "activities.FollowUpRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    template = models.ForeignKey(
        "mail.EmailTemplate", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="sends")
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.OneToOneField(
        "mail.EmailMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="nurture_send"
    )
    address = models.CharField(_("to"), max_length=320)  # lower case
    domain = models.CharField(_("domain"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    status_detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # First counted event of each kind (the events keep every one, filtered ones included).
    opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("first clicked"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("marketing e-mail")
        verbose_name_plural = _("marketing e-mails")
        indexes = [
            models.Index(fields=["domain", "created_at"], name="send_domain_created"),
            models.Index(fields=["sender", "created_at"], name="send_sender_created"),
            models.Index(fields=["sequence", "step"], name="send_sequence_step"),
            models.Index(fields=["contact", "created_at"], name="send_contact_created"),
            models.Index(fields=["lead", "created_at"], name="send_lead_created"),
            models.Index(fields=["address", "created_at"], name="send_address_created"),
        ]

    def __str__(self):
        return f"{self.address} ({self.get_status_display()})"


class TrackedLink(models.Model):
    """A link of a marketing e-mail, rewritten to `/t/c/<token>/`. The target is stored here,
    never read from the URL, so the redirect cannot be pointed elsewhere."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField(_("position in the e-mail"))
    url = models.URLField(_("target"), max_length=2000)
    is_download = models.BooleanField(_("content download"), default=False)

    class Meta:
        ordering = ["send", "position"]
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        constraints = [models.UniqueConstraint(fields=["send", "position"], name="trackedlink_unique_position")]

    def __str__(self):
        return self.url


class TrackingEvent(AppendOnlyModel):
    """A click on a tracked link or a load of the open pixel. Every request is kept; `counted`
    says whether the numbers count it, and `filtered` why not (docs/nurturing.md, "Bots")."""

    class Kind(models.TextChoices):
        CLICK = "click", _("click")
        OPEN = "open", _("open")

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="events")
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind)
    at = models.DateTimeField(_("at"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    counted = models.BooleanField(_("counted"), default=True)
    filtered = models.CharField(_("not counted because"), max_length=30, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        indexes = [models.Index(fields=["send", "kind", "at"], name="trackevent_send_kind")]


class Suppression(models.Model):
    """An address that gets no marketing e-mail whatever a record says: unsubscribed, bounced hard
    or complained. Keyed by the address, so an import that brings the person back cannot undo it."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("bounced hard")
        COMPLAINT = "complaint", _("complained")
        MANUAL = "manual", _("blocked by hand")

    address = models.CharField(_("address"), max_length=320, unique=True)  # lower case
    reason = models.CharField(_("reason"), max_length=15, choices=Reason)
    source = models.CharField(_("source"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return self.address


class ConsentConfirmation(models.Model):
    """A double opt-in: the confirmation e-mail sent to an address and, when the person confirms
    on the page it links to, the proof (time, client, user agent)."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    address = models.CharField(_("address"), max_length=320)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_ip = models.CharField(_("confirmed from"), max_length=64, blank=True)
    confirmed_user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("opt-in confirmation")
        verbose_name_plural = _("opt-in confirmations")
        indexes = [models.Index(fields=["sent_at"], name="consentconf_sent")]

    def __str__(self):
        return self.address


class RuleAction(models.Model):
    """What a follow-up rule with the action "send a template e-mail" or "enrol in a sequence"
    sends or enrols in. The rule engine (activities) runs those actions through its action
    registry; this app registers them and keeps their settings here."""

    rule = models.OneToOneField(
        "activities.FollowUpRule", on_delete=models.CASCADE, related_name="nurturing_action", verbose_name=_("rule")
    )
    template = models.ForeignKey(
        "mail.EmailTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    sequence = models.ForeignKey(
        Sequence, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sequence")
    )

    class Meta:
        verbose_name = _("rule e-mail or sequence")
        verbose_name_plural = _("rule e-mails and sequences")

    def __str__(self):
        return str(self.template or self.sequence or "")
