"""Customers: the organizations and their contacts that leads and deals belong to.

The models moved here from the leads app (the dependency line accounts ← customers ← leads ← deals,
docs/architecture.md) and kept their tables, `leads_organization` and `leads_contact`.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers import keys
from pipeline_crm.history import AppendOnlyModel

# How long a deleted organization or contact can be restored before the nightly purge removes it.
RESTORE_DAYS = 30


class Industry(models.TextChoices):
    SOFTWARE = "software", _("Software & IT")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    RETAIL = "retail", _("Retail & e-commerce")
    FINANCE = "finance", _("Finance & insurance")
    HEALTHCARE = "healthcare", _("Healthcare")
    LOGISTICS = "logistics", _("Logistics")
    SERVICES = "services", _("Professional services")
    PUBLIC = "public", _("Public sector & education")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    MICRO = "1-9", _("1–9 employees")
    SMALL = "10-49", _("10–49 employees")
    MEDIUM = "50-249", _("50–249 employees")
    LARGE = "250-999", _("250–999 employees")
    ENTERPRISE = "1000+", _("1,000+ employees")


class Region(models.TextChoices):
    NORTH = "north", _("Germany North")
    SOUTH = "south", _("Germany South")
    EAST = "east", _("Germany East")
    WEST = "west", _("Germany West")
    AUSTRIA = "at", _("Austria")
    SWITZERLAND = "ch", _("Switzerland")
    EUROPE = "eu", _("Rest of Europe")
    INTERNATIONAL = "intl", _("International")


class Consent(models.TextChoices):
    """Whether a contact may receive marketing e-mail (UWG § 7, GDPR): documented opt-in only."""

    UNKNOWN = "unknown", _("not asked")
    PENDING = "pending", _("confirmation requested")
    GRANTED = "granted", _("granted")
    EXISTING = "existing", _("existing customer")
    WITHDRAWN = "withdrawn", _("withdrawn")


# The states that allow marketing e-mail: a documented opt-in, or the existing-customer basis
# of UWG § 7 (3) with its date (docs/nurturing.md, "Consent").
MARKETING_ALLOWED = (Consent.GRANTED, Consent.EXISTING)


class ConsentPurpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("marketing e-mail")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Tag(models.Model):
    """A free label on organizations, contacts, leads and deals. Admins pick its colour from a
    fixed palette (each colour has a CSS class with enough contrast, static/css/lists.css)."""

    class Colour(models.TextChoices):
        GREY = "grey", _("grey")
        BLUE = "blue", _("blue")
        GREEN = "green", _("green")
        YELLOW = "yellow", _("yellow")
        ORANGE = "orange", _("orange")
        RED = "red", _("red")
        PURPLE = "purple", _("purple")
        TEAL = "teal", _("teal")

    name = models.CharField(_("name"), max_length=50)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour, default=Colour.GREY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = [Lower("name")]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_unique_lower_name")]

    def __str__(self):
        return self.name


class LiveManager(models.Manager):
    """The records not in the trash: what every list, picker and match sees."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class TrashableModel(models.Model):
    """A record that goes to the trash first (customers.services): `objects` leaves it out,
    `all_objects` and foreign keys still reach it."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("deleted by"),
    )

    all_objects = models.Manager()
    objects = LiveManager()

    class Meta:
        abstract = True
        default_manager_name = "objects"
        base_manager_name = "all_objects"  # a deal's organization in the trash is still its organization


class Organization(TrashableModel):
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry, blank=True)
    size_band = models.CharField(_("company size"), max_length=10, choices=SizeBand, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=Region, blank=True)
    website = models.URLField(_("website"), blank=True)
    email_domain = models.CharField(
        _("e-mail domain"), max_length=200, blank=True, help_text=_("Used to match leads to this organization.")
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("Stored in international form."))
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("Two-letter code, e.g. DE."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="organizations", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The duplicate keys (customers.duplicates), kept in step by save() and by the bulk writers,
    # so that finding a likely duplicate is an indexed lookup.
    name_key = models.CharField(_("name key"), max_length=200, blank=True, default="", editable=False)
    website_domain = models.CharField(_("website domain"), max_length=200, blank=True, default="", editable=False)

    class Meta(TrashableModel.Meta):
        db_table = "leads_organization"  # moved from the leads app with its table (docs/architecture.md)
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            models.Index(Lower("name"), name="organization_lower_name"),
            models.Index(fields=["email_domain"], name="organization_email_domain"),
            models.Index(fields=["name_key"], name="organization_name_key"),
            models.Index(fields=["website_domain"], name="organization_website_domain"),
            models.Index(fields=["vat_id"], name="organization_vat_id"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.set_duplicate_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "website"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key", "website_domain"}
        super().save(*args, **kwargs)

    def set_duplicate_keys(self):
        """Recompute name_key and website_domain; bulk writers call it, save() does it itself."""
        self.name_key = keys.name_key(self.name)
        self.website_domain = keys.domain(self.website)


class Contact(TrashableModel):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("organization"),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    decision_role = models.CharField(_("decision role"), max_length=20, choices=DecisionRole, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("owner"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("For quotes and e-mails to this contact; empty: the installation's language."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("For e-mails sent at a time of day; empty: from the organization's region."),
    )
    email_consent = models.CharField(
        _("e-mail consent"), max_length=10, choices=Consent, default=Consent.UNKNOWN, editable=False
    )
    email_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta(TrashableModel.Meta):
        db_table = "leads_contact"
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(Lower("email"), name="contact_lower_email"),
            models.Index(fields=["phone"], name="contact_phone"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()


class ContactChannel(models.Model):
    """A further e-mail address or phone number of a contact (the main ones are on the contact)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")

    class Label(models.TextChoices):
        WORK = "work", _("work")
        MOBILE = "mobile", _("mobile")
        PRIVATE = "private", _("private")
        OTHER = "other", _("other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="channels", verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind)
    label = models.CharField(_("label"), max_length=10, choices=Label, default=Label.WORK)
    value = models.CharField(
        _("address or number"), max_length=254, help_text=_("Phone numbers in international form.")
    )

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("further e-mail address or phone number")
        verbose_name_plural = _("further e-mail addresses and phone numbers")
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "value"], name="contact_channel_unique_value"),
        ]
        indexes = [models.Index(Lower("value"), name="contact_channel_lower_value")]

    def __str__(self):
        return self.value


class ContactMove(AppendOnlyModel):
    """A contact changed organization: a contact belongs to one organization at a time and keeps
    where it was before."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="moves", verbose_name=_("contact"))
    from_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
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
        verbose_name = _("organization change")
        verbose_name_plural = _("organization changes")


class ConsentChange(AppendOnlyModel):
    """The documented history of a contact's e-mail consent: who recorded what, when, from where."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consent_changes", verbose_name=_("contact")
    )
    status = models.CharField(_("consent"), max_length=10, choices=Consent)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=ConsentPurpose, default=ConsentPurpose.MARKETING_EMAIL
    )
    source = models.CharField(_("source"), max_length=200, help_text=_("How it was given, e.g. web form, signed form."))
    proof = models.TextField(
        _("proof"), blank=True, help_text=_("What documents it: the confirmation e-mail and click, a signed form.")
    )
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
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")


class MergeRecord(models.Model):
    """Two or more organizations or contacts merged into one: what moved where, so that the merge
    can be undone for RESTORE_DAYS days (customers.merging). The merged-away records are in the
    trash meanwhile; the ids are plain numbers, so the record outlives a purge."""

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("organizations")
        CONTACT = "contact", _("contacts")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    survivor_id = models.PositiveBigIntegerField(_("surviving record"))
    merged_ids = models.JSONField(_("merged records"), default=list)
    # {field attname: value} of the surviving record before the merge (restored by the undo).
    survivor_before = models.JSONField(default=dict)
    # {field attname: value} after the merge, as picked.
    survivor_after = models.JSONField(default=dict)
    # [[model label, field name, from id, [row ids]], ...]: the rows moved to the surviving record.
    moved = models.JSONField(default=list)
    # Ids of the ContactChannel rows the merge created from the merged-away main addresses.
    channels_created = models.JSONField(default=list)
    # {what: how many} for the page that shows the merge, e.g. {"deals": 3, "contacts": 2}.
    summary = models.JSONField(_("what moved"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("merged at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        indexes = [models.Index(fields=["kind", "survivor_id"], name="merge_survivor")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.merged_ids} → {self.survivor_id}"

    @property
    def model(self):
        return Organization if self.kind == self.Kind.ORGANIZATION else Contact

    @property
    def undo_until(self):
        from datetime import timedelta

        return self.at + timedelta(days=RESTORE_DAYS)
