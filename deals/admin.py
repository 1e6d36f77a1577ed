from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from deals.models import CloseDateChange, Deal, DealProduct, LostReason, Pipeline, Product, Stage, StageChange


class ReadOnlyHistoryAdmin(admin.ModelAdmin):
    """History is written by services only; the admin shows it and never changes it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProtectDealsOnDeleteMixin:
    """Deleting a stage or pipeline that still holds deals is refused, naming the deals.

    Without this the admin reports the missing permission on history rows (which
    nobody may delete) instead of the real reason: deals still sit in the stage.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "name", "probability", "rotting_days", "expected_days", "deal_count"]
    readonly_fields = ["deal_count"]
    ordering = ["order", "id"]

    @admin.display(description=_("deals"))
    def deal_count(self, obj):
        return obj.deals.count() if obj.pk else 0


@admin.register(Pipeline)
class PipelineAdmin(ProtectDealsOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "is_default", "is_active", "order"]
    list_editable = ["order"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(ProtectDealsOnDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "probability", "rotting_days", "expected_days"]
    list_filter = ["pipeline"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "pipeline__name"]
    ordering = ["pipeline", "order"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "unit_price", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "sku"]


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name"]


class DealProductInline(admin.TabularInline):
    model = DealProduct
    extra = 0
    autocomplete_fields = ["product"]


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    can_delete = False
    fields = ["at", "kind", "from_stage", "to_stage", "to_status", "actor", "value"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["title", "pipeline", "stage", "status", "value", "owner", "expected_close_date", "updated_at"]
    list_filter = ["status", "pipeline", "stage", "owner__team"]
    list_select_related = ["pipeline", "stage", "owner"]
    search_fields = ["title", "organization__name"]
    autocomplete_fields = ["owner", "organization", "contact", "source_lead"]
    readonly_fields = ["version", "stage_entered_at", "created_at", "updated_at", "won_at", "lost_at"]
    date_hierarchy = "created_at"
    inlines = [DealProductInline, StageChangeInline]
    show_full_result_count = False


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "kind", "from_stage", "to_stage", "to_status", "actor", "value", "at"]
    list_filter = ["kind", "pipeline"]
    list_select_related = ["deal", "from_stage", "to_stage", "actor"]
    search_fields = ["deal__title"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(CloseDateChange)
class CloseDateChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["deal", "old_date", "new_date", "actor", "at"]
    list_select_related = ["deal", "actor"]
    search_fields = ["deal__title"]
    date_hierarchy = "at"
