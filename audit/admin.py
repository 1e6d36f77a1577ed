"""The audit log in the Django admin: django-auditlog's read-only list and detail (the
changed fields with old and new value), with the source as a column and a filter."""

from auditlog.admin import LogEntryAdmin
from django.contrib import admin

from audit.models import LogEntry

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "source"]
    list_filter = ["source", "action", *LogEntryAdmin.list_filter[1:]]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "source", "resource_url", "cid"]}),
        *LogEntryAdmin.fieldsets[1:],
    ]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "source"]
