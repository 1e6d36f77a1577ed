from django.contrib import admin

from lists.models import BulkAction


@admin.register(BulkAction)
class BulkActionAdmin(admin.ModelAdmin):
    """Read-only: the record of what a bulk action did (undo is the app's, for its actor)."""

    list_display = ["at", "actor", "list_key", "kind", "target", "count", "undone_at"]
    list_filter = ["list_key", "kind"]
    list_select_related = ["actor"]
    readonly_fields = ["actor", "list_key", "kind", "target", "count", "rows", "at", "undone_at", "undo_report"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
