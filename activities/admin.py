from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, DigestLog, FollowUpRule, Notification, OutgoingEmail, RuleFiring
from leads.models import Lead


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "stage", "idle_days", "lead_source", "action", "due_in_days", "is_active"]
    list_filter = ["trigger", "action", "is_active"]
    list_select_related = ["stage", "stage__pipeline"]
    search_fields = ["name", "subject_template"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "lead_source":
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=[("", _("Any source")), *Lead.Source.choices],
                required=False,
                help_text=_("For 'lead created from source'."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


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


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The e-mail outbox. Clear "given up at" (and "claimed at") to retry a failed e-mail."""

    list_display = ["subject", "to", "created_at", "attempts", "sent_at", "failed_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [
        "key", "user", "to", "from_name", "reply_to", "subject", "body", "attachment", "attachment_name",
        "attachment_type", "created_at", "claim_token", "attempts", "sent_at",
    ]  # fmt: skip
    fields = [*readonly_fields, "claimed_at", "failed_at", "last_error"]
    actions = ["retry_delivery"]

    @admin.action(description=_("Retry delivery of the selected unsent e-mails"))
    def retry_delivery(self, request, queryset):
        count = queryset.filter(sent_at__isnull=True).update(
            failed_at=None, claimed_at=None, claim_token=None, attempts=0, last_error=""
        )
        self.message_user(request, _("%(count)d e-mails will be delivered by the next run.") % {"count": count})


@admin.register(DigestLog)
class DigestLogAdmin(admin.ModelAdmin):
    list_display = ["user", "date", "activity_count", "created_at"]
    list_select_related = ["user"]
    date_hierarchy = "date"
    readonly_fields = ["user", "date", "activity_count", "created_at"]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ["rule", "occurrence", "deal", "lead", "activity", "occurred_at", "fired_at"]
    list_filter = ["rule"]
    list_select_related = ["rule", "deal", "lead", "activity"]
    readonly_fields = ["rule", "occurrence", "deal", "lead", "stage_change", "activity", "occurred_at", "fired_at"]
