from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from leads import tasks
from leads.models import (
    Campaign,
    Lead,
    LeadImport,
    LeadStatusChange,
    LeadTouch,
    Persona,
    ScoringSettings,
    SourceCost,
    WebFormSettings,
)


@admin.register(Persona)
class PersonaAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description", "needs", "problems", "buying_motives"]


class LeadStatusChangeInline(admin.TabularInline):
    model = LeadStatusChange
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class LeadTouchInline(admin.TabularInline):
    model = LeadTouch
    extra = 0
    can_delete = False
    fields = ["at", "source", "campaign", "first_name", "last_name", "company_name", "email", "phone", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "source", "campaign", "status", "score", "owner", "created_at"]
    list_filter = ["status", "source", "industry", "size_band", "region", "decision_role", "persona"]
    list_select_related = ["owner", "persona"]
    search_fields = ["first_name", "last_name", "email", "company_name", "campaign"]
    autocomplete_fields = ["organization", "contact", "owner", "persona"]
    readonly_fields = ["score", "score_breakdown", "created_at", "updated_at", "converted_at"]
    date_hierarchy = "created_at"
    inlines = [LeadStatusChangeInline, LeadTouchInline]


@admin.register(LeadStatusChange)
class LeadStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["lead", "from_status", "to_status", "actor", "at"]
    list_filter = ["to_status"]
    list_select_related = ["lead", "actor"]
    search_fields = ["lead__last_name", "lead__company_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SingletonAdmin(admin.ModelAdmin):
    """One row of settings: no adding a second, no deleting."""

    def has_add_permission(self, request):
        return not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(SingletonAdmin):
    list_display = [
        "__str__",
        "need_weight",
        "budget_weight",
        "authority_weight",
        "timing_weight",
        "hot_threshold",
        "warm_threshold",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": ["need_weight", "budget_weight", "authority_weight", "timing_weight"],
                "description": _(
                    "Each criterion gives weight × level / 3 points (level 0–3); the weights add up to 100."
                ),
            },
        ),
        (_("Bands"), {"fields": ["hot_threshold", "warm_threshold"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Every stored score follows the new weights (in the worker: it touches every lead).
        transaction.on_commit(tasks.scoring_rescore_all.delay)


@admin.register(WebFormSettings)
class WebFormSettingsAdmin(SingletonAdmin):
    list_display = ["__str__", "round_robin_team", "default_owner", "last_assigned"]
    readonly_fields = ["last_assigned"]
    autocomplete_fields = ["default_owner"]


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "created_by",
        "status",
        "failure",
        "total_rows",
        "valid_rows",
        "imported_rows",
        "created_at",
        "heartbeat_at",
    ]
    list_filter = ["status", "failure"]
    exclude = ["rows", "report"]
    readonly_fields = [
        "created_by",
        "file_name",
        "status",
        "failure",
        "total_rows",
        "valid_rows",
        "imported_rows",
        "skipped_rows",
        "error",
        "created_at",
        "heartbeat_at",
        "attempts",
        "finished_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Campaign costs for the dashboard's cost per lead and ROI (docs/metrics.md, "Lead source cost and ROI");
    leads name a campaign in their "campaign / content" field, matched by source and name, ignoring case."""

    list_display = ["name", "source", "cost", "starts_on", "ends_on"]
    list_filter = ["source"]
    search_fields = ["name", "notes"]
    date_hierarchy = "starts_on"


@admin.register(SourceCost)
class SourceCostAdmin(admin.ModelAdmin):
    """What a lead source cost per month besides its campaigns (prorated by days on the dashboard)."""

    list_display = ["source", "month", "cost"]
    list_filter = ["source"]
    date_hierarchy = "month"
