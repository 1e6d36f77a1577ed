"""The record of a bulk action on a list, kept so that its actor can undo it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BulkAction(models.Model):
    """One bulk action: what it did to which rows, and each row's previous values.

    `rows` is a list of {"id", "before": {...}, "after": {...}}: `before` holds what undo
    restores, `after` what the row looked like right after the action (a deal's version, a
    record's `updated_at`), so that undo can tell whether somebody changed the row since.
    """

    class ListKey(models.TextChoices):
        DEALS = "deals", _("Deals")
        LEADS = "leads", _("Leads")
        ORGANIZATIONS = "organizations", _("Organizations")
        CONTACTS = "contacts", _("Contacts")

    class Kind(models.TextChoices):
        OWNER = "owner", _("Reassign owner")
        STAGE = "stage", _("Change stage")
        TAG = "tag", _("Add tag")
        DELETE = "delete", _("Delete")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_actions", verbose_name=_("by")
    )
    list_key = models.CharField(_("list"), max_length=20, choices=ListKey)
    kind = models.CharField(_("action"), max_length=10, choices=Kind)
    target = models.CharField(_("to"), max_length=200, blank=True, help_text=_("The new owner, stage or tag."))
    count = models.PositiveIntegerField(_("rows"), default=0)
    rows = models.JSONField(_("rows"), default=list)
    at = models.DateTimeField(_("at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undo_report = models.JSONField(_("undo report"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        indexes = [models.Index(fields=["actor", "-at"], name="bulk_action_actor_at")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.count}"
