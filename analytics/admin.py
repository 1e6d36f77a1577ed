from django.contrib import admin

from analytics.models import DailySnapshot


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
