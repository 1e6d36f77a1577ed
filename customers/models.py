"""Customers: the organizations and their contacts that leads and deals belong to.

The models moved here from the leads app (the dependency line accounts ← customers ← leads ← deals,
docs/architecture.md) and kept their tables, `leads_organization` and `leads_contact`.
"""

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry, blank=True)
    size_band = models.CharField(_("company size"), max_length=10, choices=SizeBand, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=Region, blank=True)
    website = models.URLField(_("website"), blank=True)
    email_domain = models.CharField(
        _("e-mail domain"), max_length=200, blank=True, help_text=_("Used to match leads to this organization.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "leads_organization"  # moved from the leads app with its table (docs/architecture.md)
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        indexes = [
            models.Index(Lower("name"), name="organization_lower_name"),
            models.Index(fields=["email_domain"], name="organization_email_domain"),
        ]

    def __str__(self):
        return self.name


class Contact(models.Model):
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
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "leads_contact"
        ordering = ["last_name", "first_name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(Lower("email"), name="contact_lower_email")]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()
