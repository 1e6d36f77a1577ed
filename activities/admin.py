from django.contrib import admin

from activities.models import Activity, FollowUpRule, Notification


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "stage", "idle_days", "lead_source", "action", "due_in_days", "is_active"]
    list_filter = ["trigger", "action", "is_active"]
    list_select_related = ["stage", "stage__pipeline"]
    search_fields = ["name", "subject_template"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "due_at", "done_at", "assignee", "deal", "lead", "reminder_sent_at"]
    list_filter = ["kind", "assignee"]
    list_select_related = ["assignee", "deal", "lead"]
    search_fields = ["subject", "note", "deal__title", "lead__last_name"]
    autocomplete_fields = ["assignee", "deal", "lead"]
    readonly_fields = ["reminder_sent_at", "created_at", "updated_at", "rule"]
    date_hierarchy = "due_at"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["user", "message", "created_at", "read_at"]
    list_filter = ["read_at"]
    list_select_related = ["user"]
    search_fields = ["message", "user__username"]
