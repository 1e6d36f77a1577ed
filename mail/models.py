"""E-mail with customers: each user's mailbox, the messages synced from it or sent from the CRM,
their participants, attachments and threads, bounces, and templates (docs/email.md)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_dropbox_token():
    return secrets.token_hex(8)


class Mailbox(models.Model):
    """A user's IMAP + SMTP account, or the installation's shared BCC dropbox (no user).

    A personal row also holds the user's mail preferences (sharing, dropbox token; the signature column is
    superseded by the profile's `User.email_signature`, migration 0005 copied it there),
    so it exists before a server is connected: `is_connected` tells whether one is.
    """

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("personal mailbox")
        DROPBOX = "dropbox", _("shared BCC dropbox")

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("none (only on a trusted network)")

    class Auth(models.TextChoices):
        PASSWORD = "password", _("password or app password")
        OAUTH2 = "oauth2", _("OAuth 2.0 (XOAUTH2)")

    class Sharing(models.TextChoices):
        LINKED = "linked", _("share messages linked to a deal or lead with whoever may see it")
        NONE = "none", _("share nothing: only I see my messages")

    class Status(models.TextChoices):
        NOT_CONNECTED = "not_connected", _("not connected")
        OK = "ok", _("working")
        FAILING = "failing", _("failing")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PERSONAL)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="mailbox"
    )
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    email_address = models.EmailField(_("e-mail address"), blank=True)
    display_name = models.CharField(_("sender name"), max_length=200, blank=True)
    imap_host = models.CharField(_("IMAP server"), max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security, default=Security.SSL)
    smtp_host = models.CharField(_("SMTP server"), max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(_("SMTP security"), max_length=10, choices=Security, default=Security.STARTTLS)
    username = models.CharField(_("user name"), max_length=254, blank=True)
    auth_method = models.CharField(_("sign-in"), max_length=10, choices=Auth, default=Auth.PASSWORD)
    # Fernet token (mail/crypto.py); never rendered, never logged.
    secret = models.TextField(_("secret (encrypted)"), blank=True, editable=False)
    inbox_folder = models.CharField(_("inbox folder"), max_length=200, default="INBOX")
    sent_folder = models.CharField(
        _("sent folder"), max_length=200, blank=True, help_text=_("Empty: the folder the server marks as \\Sent.")
    )
    sync_enabled = models.BooleanField(_("sync enabled"), default=True)
    sharing = models.CharField(_("sharing"), max_length=10, choices=Sharing, default=Sharing.LINKED)
    signature = models.TextField(_("signature"), blank=True)
    dropbox_token = models.CharField(_("dropbox token"), max_length=32, unique=True, default=new_dropbox_token)

    status = models.CharField(_("status"), max_length=15, choices=Status, default=Status.NOT_CONNECTED)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    failure_count = models.PositiveIntegerField(_("failures in a row"), default=0)
    failure_notified_at = models.DateTimeField(_("failure notified at"), null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synced at"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="dropbox", user__isnull=True) | Q(kind="personal", user__isnull=False),
                name="mail_mailbox_personal_has_user",
            ),
        ]

    def __str__(self):
        return self.email_address or (str(self.user) if self.user_id else str(self.get_kind_display()))

    @property
    def is_connected(self):
        return bool(self.imap_host and self.username and self.secret)


class MailFolder(models.Model):
    """Where the sync of one folder stands: the server's UIDVALIDITY and the last UID taken."""

    class Role(models.TextChoices):
        INBOX = "inbox", _("inbox")
        SENT = "sent", _("sent")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    role = models.CharField(_("role"), max_length=10, choices=Role)
    name = models.CharField(_("folder name"), max_length=200)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID synced"), default=0)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail folder")
        verbose_name_plural = _("mail folders")
        constraints = [models.UniqueConstraint(fields=["mailbox", "role"], name="mail_folder_one_per_role")]

    def __str__(self):
        return f"{self.mailbox} {self.name}"


class Thread(models.Model):
    """A conversation of one owner's messages (Message-ID / In-Reply-To / References), with the
    deal it belongs to once known or picked (remembered for later messages of the thread)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_threads")
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    deal = models.ForeignKey("deals.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deal_picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    needs_deal_choice = models.BooleanField(_("deal to be picked"), default=False)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail thread")
        verbose_name_plural = _("e-mail threads")

    def __str__(self):
        return self.subject or f"#{self.pk}"


class EmailMessage(models.Model):
    """One e-mail: synced from a mailbox (inbox, sent, dropbox) or written in the CRM."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("received")
        OUTBOUND = "out", _("sent")

    class Source(models.TextChoices):
        INBOX = "inbox", _("inbox")
        SENT = "sent", _("sent folder")
        DROPBOX = "dropbox", _("BCC dropbox")
        CRM = "crm", _("written in the CRM")

    class Delivery(models.TextChoices):
        RECEIVED = "received", _("received")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        WITHHELD = "withheld", _("withheld")

    class Purpose(models.TextChoices):
        PERSONAL = "personal", _("personal or transactional")
        MARKETING = "marketing", _("marketing")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_messages")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    source = models.CharField(_("source"), max_length=10, choices=Source)
    folder = models.ForeignKey(MailFolder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True)
    # Normalised to "<...>"; a message without one gets a stable id derived from its content.
    message_id = models.CharField(_("Message-ID"), max_length=998)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    references = models.TextField(_("References"), blank=True)
    thread = models.ForeignKey(Thread, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    from_name = models.CharField(_("from (name)"), max_length=300, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    # Lists of {"name": ..., "address": ...}; Participant rows index them.
    to = models.JSONField(_("to"), default=list, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    sent_at = models.DateTimeField(_("date"), db_index=True)
    text_body = models.TextField(_("text"), blank=True)
    # Sanitised with nh3 when stored; the original is in `raw`.
    html_body = models.TextField(_("HTML (sanitised)"), blank=True)
    snippet = models.CharField(_("first lines"), max_length=300, blank=True)
    raw = models.FileField(_("original message"), upload_to="mail/raw/%Y/%m/", blank=True, max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    has_attachments = models.BooleanField(_("has attachments"), default=False)
    problems = models.CharField(
        _("parsing problems"), max_length=500, blank=True, help_text=_("What could not be read as sent.")
    )

    deal = models.ForeignKey("deals.Deal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Whether people other than the owner may read it (the owner's sharing choice and a link to a
    # deal or lead); the selectors add "and may see that deal or lead".
    shared = models.BooleanField(_("shared"), default=False)

    # Marketing e-mail (nurturing sequences, rule e-mails) goes out only while the send gates
    # registered with mail.sending allow it, checked again at the moment of sending.
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose, default=Purpose.PERSONAL)
    # Headers written into the message besides the usual ones (List-Unsubscribe, …), as pairs.
    extra_headers = models.JSONField(_("further headers"), default=list, blank=True)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery, default=Delivery.RECEIVED)
    delivery_error = models.CharField(_("delivery error"), max_length=500, blank=True)
    # Delivery of a message written in the CRM (mail/sending.py): claimed under a lease, retried
    # after temporary errors at `next_attempt_at`, copied to the Sent folder at `sent_copy_at`.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_copy_at = models.DateTimeField(_("copied to the Sent folder at"), null=True, blank=True)
    # A quote e-mail without a connected mailbox goes out through the product's outbox; its
    # delivery is that row's (mail/sending.py, "outbox_delivery").
    outbox = models.OneToOneField(
        "activities.OutgoingEmail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [models.UniqueConstraint(fields=["owner", "message_id"], name="mail_message_once_per_owner")]
        indexes = [
            models.Index(fields=["deal", "sent_at"], name="mail_msg_deal_sent"),
            models.Index(fields=["lead", "sent_at"], name="mail_msg_lead_sent"),
            models.Index(fields=["thread", "sent_at"], name="mail_msg_thread_sent"),
            models.Index(fields=["owner", "sent_at"], name="mail_msg_owner_sent"),
        ]

    def __str__(self):
        return self.subject or self.message_id


class Participant(models.Model):
    """An address of a message (from, to, cc, bcc) and the contact it belongs to, if any."""

    class Role(models.TextChoices):
        FROM = "from", _("from")
        TO = "to", _("to")
        CC = "cc", _("cc")
        BCC = "bcc", _("bcc")

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(_("role"), max_length=4, choices=Role)
    name = models.CharField(_("name"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=320, db_index=True)  # lower case
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    organization = models.ForeignKey(
        "customers.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [
            models.Index(fields=["contact", "message"], name="mail_part_contact"),
            models.Index(fields=["organization", "message"], name="mail_part_org"),
        ]

    def __str__(self):
        return f"{self.role}: {self.address}"


class Attachment(models.Model):
    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    file = models.FileField(_("file"), upload_to="mail/attachments/%Y/%m/", blank=True, max_length=200)
    # Larger than CRM_MAIL_MAX_ATTACHMENT_BYTES: name and size are kept, the content is not.
    omitted = models.BooleanField(_("not kept (too large)"), default=False)
    content_id = models.CharField(_("Content-ID"), max_length=300, blank=True)
    inline = models.BooleanField(_("inline"), default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename


class Bounce(models.Model):
    """A delivery status notification (RFC 3464) saying an address could not be reached."""

    address = models.CharField(_("address"), max_length=320, db_index=True)
    status = models.CharField(_("status code"), max_length=20, blank=True)
    diagnostic = models.CharField(_("diagnostic"), max_length=500, blank=True)
    permanent = models.BooleanField(_("permanent"), default=True)
    report = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="bounce_reports")
    original = models.ForeignKey(EmailMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="bounces")
    contact = models.ForeignKey("customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("bounce")
        verbose_name_plural = _("bounces")
        constraints = [models.UniqueConstraint(fields=["report", "address"], name="mail_bounce_once_per_report")]

    def __str__(self):
        return self.address


class EmailTemplate(models.Model):
    """A reusable e-mail with placeholders (mail/templating.py renders them in a sandbox)."""

    class Visibility(models.TextChoices):
        PERSONAL = "personal", _("only me")
        TEAM = "team", _("my team")
        EVERYONE = "everyone", _("everyone")

    class Language(models.TextChoices):
        GERMAN = "de", _("German")
        ENGLISH = "en", _("English")

    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=5, choices=Language, default=Language.GERMAN)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("body"))
    is_html = models.BooleanField(
        _("HTML"), default=False, help_text=_("Off: plain text. On: HTML, cleaned of anything unsafe when saved.")
    )
    # Empty for the installation's own templates (the defaults), which admins keep.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_templates",
        verbose_name=_("owner"),
    )
    visibility = models.CharField(_("shared with"), max_length=10, choices=Visibility, default=Visibility.PERSONAL)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-mail template")
        verbose_name_plural = _("e-mail templates")
        ordering = ["name", "language"]

    def __str__(self):
        return f"{self.name} ({self.language})"
