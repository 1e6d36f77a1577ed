from django.contrib import admin

from customers.models import ConsentChange, Contact, ContactChannel, ContactMove, Organization, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Name and colour (from the fixed palette); the app's /tags/ page does the same."""

    list_display = ["name", "colour", "created_at"]
    list_filter = ["colour"]
    search_fields = ["name"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "size_band", "region", "city", "owner", "email_domain"]
    list_filter = ["industry", "size_band", "region"]
    list_select_related = ["owner"]
    search_fields = ["name", "email_domain", "website", "vat_id", "city"]
    autocomplete_fields = ["owner"]


class ContactChannelInline(admin.TabularInline):
    model = ContactChannel
    extra = 0


class ContactMoveInline(admin.TabularInline):
    model = ContactMove
    fk_name = "contact"
    extra = 0
    can_delete = False
    fields = ["at", "from_organization", "to_organization", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ConsentChangeInline(admin.TabularInline):
    model = ConsentChange
    extra = 0
    can_delete = False
    fields = ["at", "status", "source", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "email", "job_title", "decision_role", "email_consent", "owner"]
    list_filter = ["decision_role", "email_consent"]
    list_select_related = ["organization", "owner"]
    search_fields = ["first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization", "owner"]
    readonly_fields = ["email_consent", "email_consent_at"]
    inlines = [ContactChannelInline, ContactMoveInline, ConsentChangeInline]
