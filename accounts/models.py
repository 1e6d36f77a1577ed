import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    managers = models.ManyToManyField(
        "accounts.User", related_name="managed_teams", blank=True, verbose_name=_("managers")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        REP = "rep", _("Sales rep")
        MANAGER = "manager", _("Manager")
        ADMIN = "admin", _("Admin")

    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.REP)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, help_text=_("Empty: the installation's time zone.")
    )
    reminder_lead_minutes = models.PositiveSmallIntegerField(
        _("reminder lead time (minutes)"), default=15, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    digest_enabled = models.BooleanField(_("daily digest e-mail"), default=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), default=7, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: the browser's language, then the installation's."),
    )
    workday_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    workday_end = models.TimeField(_("working day ends"), default=datetime.time(17, 0))
    calendar_token = models.CharField(
        _("calendar feed key"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("The secret part of the calendar feed's address; empty: no feed."),
    )
    email_signature = models.TextField(
        _("e-mail signature"), blank=True, max_length=2000, help_text=_("Added below the e-mails you write.")
    )
    avatar_color = models.CharField(
        _("avatar colour"),
        max_length=7,
        blank=True,
        help_text=_("The background of your initials, as #rrggbb; empty: chosen from your name."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=models.Q(digest_hour__lte=23), name="user_digest_hour_0_23"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_crm_admin(self):
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def is_manager(self):
        return self.role == self.Role.MANAGER

    @property
    def initials(self):
        parts = [p for p in (self.first_name, self.last_name) if p]
        if parts:
            return "".join(p[0] for p in parts).upper()
        return self.username[:2].upper()


class SavedView(models.Model):
    """A named set of filters (the list's query string) and visible columns of one list, private
    to its owner or shared with the owner's team. Generic over the lists, so it lives in the
    lowest app (docs/lists.md)."""

    class ListKey(models.TextChoices):
        DEALS = "deals", _("Deals")
        LEADS = "leads", _("Leads")
        ORGANIZATIONS = "organizations", _("Organizations")
        CONTACTS = "contacts", _("Contacts")

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("owner"))
    list_key = models.CharField(_("list"), max_length=20, choices=ListKey)
    name = models.CharField(_("name"), max_length=80)
    query = models.TextField(_("filters"), blank=True, help_text=_("The list's query string."))
    columns = models.JSONField(_("visible columns"), default=list, blank=True)
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["list_key", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint("owner", "list_key", Lower("name"), name="saved_view_unique_name_per_owner_list"),
        ]

    def __str__(self):
        return self.name
