"""The Django admin's view of webhooks: subscriptions to look at (and delete; the secret is
never shown, changes go through the pages' services), deliveries and attempts read-only."""

from django.contrib import admin

from webhooks.models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "is_active", "failing_since", "disabled_at", "created_at")
    list_filter = ("is_active", "allow_private_network")
    list_select_related = ("owner",)
    search_fields = ("url", "description", "owner__username")
    fields = (
        "owner",
        "url",
        "description",
        "events",
        "allow_private_network",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # the secret is made by the service (the Webhooks page or the API)

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ("at", "status_code", "response_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "subscription", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status",)
    list_select_related = ("event", "subscription")
    fields = ("subscription", "event", "status", "attempts", "next_attempt_at", "created_at", "delivered_at")
    readonly_fields = fields
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("delivery", "at", "status_code", "response_ms", "error")
    list_select_related = ("delivery__event", "delivery__subscription")
    fields = ("delivery", "at", "status_code", "response_ms", "error")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
