from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts import localization
from accounts.forms import AdminLoginForm
from accounts.models import SavedView, Team, User

# The admin's login page tells a locked-out user why (login throttling, docs/accounts.md).
admin.site.login_form = AdminLoginForm


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["managers"]

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.members.count()


class AdminUserForm(UserChangeForm):
    """The time zone from the same zoneinfo list as the user's preferences, never free text."""

    time_zone = forms.ChoiceField(label=_("time zone"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = _("The installation's (%(zone)s)") % {"zone": settings.TIME_ZONE}
        names = list(localization.time_zone_names())
        current = self.instance.time_zone
        if current and current not in names:
            names.insert(0, current)  # stored before a tzdata rename: shown, kept if untouched
        self.fields["time_zone"].choices = [("", default)] + [(name, name) for name in names]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = AdminUserForm
    list_display = ["username", "first_name", "last_name", "email", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    list_select_related = ["team"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Pipeline CRM"),
            {
                "fields": [
                    *("role", "team", "language", "time_zone", "workday_start", "workday_end"),
                    *("reminder_lead_minutes", "digest_enabled", "digest_hour"),
                ]
            },
        ),
    )
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Pipeline CRM"), {"fields": ["role", "team"]}))


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "list_key", "owner", "shared", "updated_at"]
    list_filter = ["list_key", "shared"]
    list_select_related = ["owner"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
