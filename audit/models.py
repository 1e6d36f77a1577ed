from auditlog.models import AbstractLogEntry
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import context


class LogEntry(AbstractLogEntry):
    """One change of one record: create, update (the changed fields with old and new value)
    or delete, with the user and the source of the change.

    django-auditlog's entry (content type, object id, action, `changes` as
    {field: [old, new]}, actor, timestamp) plus the source and whether the change is also a
    row of the record's own history table.
    """

    class Source(models.TextChoices):
        WEB = context.Source.WEB, _("Web")
        ADMIN = context.Source.ADMIN, _("Admin")
        IMPORT = context.Source.IMPORT, _("Import")
        RULE = context.Source.RULE, _("Follow-up rule")
        JOB = context.Source.JOB, _("Background job")
        COMMAND = context.Source.COMMAND, _("Command")
        API = context.Source.API, _("API")
        SYSTEM = context.Source.SYSTEM, _("System")

    source = models.CharField(_("source"), max_length=10, choices=Source, blank=True, default="")
    in_history = models.BooleanField(
        _("also in the record's history"),
        default=False,
        help_text=_("A stage or status change: the deal's or lead's own history shows it."),
    )

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [
            # The timeline of one record, newest first (keyset paging on timestamp, id).
            models.Index(fields=["content_type", "object_id", "timestamp", "id"], name="auditentry_object_time"),
        ]

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.fill_from_context()
        super().save(*args, **kwargs)

    def fill_from_context(self, ctx=None):
        """Source, actor, extra data and the history flag from the current audit context."""
        ctx = ctx or context.current()
        if not self.source:
            self.source = ctx.source
        if self.actor_id is None:
            self.actor = ctx.resolve_actor()
        if ctx.in_history:
            self.in_history = True
        if ctx.extra:
            self.additional_data = {**ctx.extra, **(self.additional_data or {})}
