from django.contrib import admin

from customers.models import Contact, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "size_band", "region", "email_domain"]
    list_filter = ["industry", "size_band", "region"]
    search_fields = ["name", "email_domain", "website"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "email", "job_title", "decision_role"]
    list_filter = ["decision_role"]
    list_select_related = ["organization"]
    search_fields = ["first_name", "last_name", "email", "organization__name"]
    autocomplete_fields = ["organization"]
