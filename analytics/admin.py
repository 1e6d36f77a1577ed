from django.contrib import admin

from analytics.models import DailySnapshot, Goal


@admin.register(DailySnapshot)
class DailySnapshotAdmin(admin.ModelAdmin):
    """Read-only: snapshot rows are written by the rollup only (`manage.py rollup` to rewrite a day)."""

    list_display = ["day", "pipeline", "stage", "owner", "region", "source", "product", "open_count", "open_value"]
    list_filter = ["day", "pipeline", "region", "source"]
    list_select_related = ["pipeline", "stage", "owner", "product"]
    date_hierarchy = "day"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    """Goals per user or team and month or quarter (the goals page sets them too, within a manager's teams)."""

    list_display = ["__str__", "user", "team", "metric", "period", "period_start", "target", "created_by"]
    list_filter = ["metric", "period", "team"]
    list_select_related = ["user", "team", "created_by"]
    raw_id_fields = ["user", "created_by"]
    date_hierarchy = "period_start"
